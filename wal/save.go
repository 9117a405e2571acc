package wal

import (
	"fmt"
	"os"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Save appends entries, then the hard state, to the log. Entries come first so that a
// saved commit index never points past the saved log. With sync false the records reach
// the operating system but not necessarily the disk; raft's Ready.MustSync says when
// that is allowed. An empty hard state is not written. A segment that reaches the
// segment size is cut after the append, which also syncs it.
func (w *WAL) Save(hs raftpb.HardState, ents []raftpb.Entry, sync bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writable(); err != nil {
		return err
	}
	emptyState := hs == raftpb.HardState{}
	if emptyState && len(ents) == 0 {
		return nil
	}
	for i := range ents {
		if err := w.enc.encodeEntry(&ents[i]); err != nil {
			return w.fail(err)
		}
		w.lastIndex = ents[i].Index
		if w.enc.buffered() >= flushThreshold {
			if err := w.enc.flush(); err != nil {
				return w.fail(err)
			}
		}
	}
	if !emptyState {
		// Encode from the WAL's own copy: taking the parameter's address would move it
		// to the heap on every call.
		w.state = hs
		if err := w.enc.encodeState(&w.state); err != nil {
			return w.fail(err)
		}
	}
	if err := w.enc.flush(); err != nil {
		return w.fail(err)
	}
	if w.enc.off >= w.segmentSize {
		return w.cut()
	}
	if sync {
		return w.sync()
	}
	return nil
}

// SaveSnapshot appends a snapshot marker and syncs it. The snapshot file must already be
// saved: a marker without its file cannot be recovered from, a file without a marker is
// ignored.
func (w *WAL) SaveSnapshot(s Snapshot) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writable(); err != nil {
		return err
	}
	w.enc.encodeSnapshot(s)
	if err := w.enc.flush(); err != nil {
		return w.fail(err)
	}
	// Entries after the snapshot continue from its index even when this member never
	// saw the entries it covers (a snapshot sent by the leader).
	w.lastIndex = max(w.lastIndex, s.Index)
	w.snapIndex = max(w.snapIndex, s.Index)
	return w.sync()
}

// cut closes the tail segment and continues in a new one, taken from the spare pipeline.
func (w *WAL) cut() error {
	// A finished segment ends at its last record, and is durable before the next one
	// exists: a reader then only meets preallocated zeros in the last segment.
	if err := w.tail.Truncate(w.enc.off); err != nil {
		return w.fail(fmt.Errorf("wal: truncate finished segment: %w", err))
	}
	if err := w.tail.Sync(); err != nil {
		return w.fail(fmt.Errorf("wal: sync finished segment: %w", err))
	}
	f, err := w.fp.take()
	if err != nil {
		return w.fail(err)
	}
	seg := segment{seq: w.segs[len(w.segs)-1].seq + 1, index: w.lastIndex + 1}
	enc := encoder{w: f, buf: w.enc.buf[:0], crc: w.enc.crc}
	// The crc record carries the chain on; metadata and the hard state are repeated so
	// that a replay starting at this segment has them.
	enc.encodeCRC()
	if err := enc.encodeBytes(metadataType, w.metadata); err != nil {
		f.Close()
		return w.fail(err)
	}
	if w.state != (raftpb.HardState{}) {
		if err := enc.encodeState(&w.state); err != nil {
			f.Close()
			return w.fail(err)
		}
	}
	if err := w.installSegment(f, &enc, seg); err != nil {
		f.Close()
		return w.fail(err)
	}
	if err := w.tail.Close(); err != nil {
		w.lg.Warn().Err(err).Msg("closing finished segment")
	}
	w.tail, w.enc = f, enc
	w.segs = append(w.segs, seg)
	w.lg.Info().Str("path", segmentPath(w.dir, seg)).Uint64("index", seg.index).Msg("cut WAL segment")
	return nil
}

// installSegment writes the opening records of a spare, syncs them and renames the spare
// to the segment's name, then syncs the directory.
func (w *WAL) installSegment(f *os.File, enc *encoder, seg segment) error {
	if err := enc.flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: sync new segment: %w", err)
	}
	if err := os.Rename(f.Name(), segmentPath(w.dir, seg)); err != nil {
		return fmt.Errorf("wal: rename spare segment: %w", err)
	}
	if err := w.dirf.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", w.dir, err)
	}
	return nil
}

// sync makes the tail segment's records durable.
func (w *WAL) sync() error {
	start := time.Now()
	if err := fdatasync(w.tail); err != nil {
		return w.fail(fmt.Errorf("wal: fdatasync: %w", err))
	}
	if took := time.Since(start); took > slowSync {
		w.lg.Warn().Dur("took", took).Msg("slow fdatasync")
	}
	return nil
}

// fail records the first write or sync failure. After it the state of the tail segment on
// disk is unknown (a failed fsync may have dropped dirty pages), so every later write
// fails too; the member must restart and replay.
func (w *WAL) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

func (w *WAL) writable() error {
	switch {
	case w.closed:
		return ErrClosed
	case !w.read:
		return ErrNotRead
	case w.err != nil:
		return fmt.Errorf("wal: refusing writes after an earlier failure: %w", w.err)
	}
	return nil
}
