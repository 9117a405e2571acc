package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"
)

// DefaultSegmentSize is the size segments are preallocated to and cut at (SPEC 8.3).
const DefaultSegmentSize = 64_000_000

// slowSync is the fdatasync duration above which a warning is logged.
const slowSync = time.Second

// Options configures a WAL.
type Options struct {
	// Logger receives lifecycle messages (create, cut, repair, purge) and warnings.
	Logger zerolog.Logger
	// SegmentSize is the preallocated size of a segment; a segment is cut once its
	// records reach it. Zero means DefaultSegmentSize.
	SegmentSize int64
}

func (o Options) withDefaults() Options {
	if o.SegmentSize <= 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	o.Logger = o.Logger.With().Str("component", "wal").Logger()
	return o
}

// WAL is a write-ahead log in one directory. A WAL from Create accepts appends at once;
// one from Open must be read with ReadAll first. Methods are safe for concurrent use but
// the log has one writer: raft's Ready loop.
type WAL struct {
	lg          zerolog.Logger
	dir         string
	segmentSize int64

	mu        sync.Mutex
	dirf      *os.File  // the directory, flock'ed for the WAL's lifetime
	segs      []segment // every segment in dir, oldest first; the last is the tail
	start     int       // first segment ReadAll reads
	from      Snapshot  // snapshot the WAL was opened at
	read      bool      // ReadAll ran (or the WAL was created): appends are allowed
	metadata  []byte
	state     raftpb.HardState // last saved, repeated at the start of each new segment
	lastIndex uint64           // last entry or marker index written
	snapIndex uint64           // newest snapshot marker written or read
	released  int              // segs[:released] are not needed to replay the log
	tail      *os.File
	enc       encoder
	fp        *filePipeline
	err       error // first write or sync failure; no write is accepted after it
	closed    bool
}

// Create makes a new WAL in dir, which must not hold one, with metadata as its first
// record. The directory appears complete or not at all: it is built under dir+".tmp",
// synced and renamed.
func Create(dir string, metadata []byte, opts Options) (_ *WAL, err error) {
	opts = opts.withDefaults()
	dir = filepath.Clean(dir)
	if Exist(dir) {
		return nil, fmt.Errorf("%w: %s", ErrExist, dir)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, dirMode); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", parent, err)
	}
	tmp := dir + spareSuffix
	// Only a Create that stopped before its rename leaves this directory behind.
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("wal: remove stale %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, dirMode); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", tmp, err)
	}
	var dirf, f *os.File
	defer func() {
		if err != nil {
			closeAll(f, dirf)
			os.RemoveAll(tmp)
		}
	}()
	if dirf, err = os.Open(tmp); err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", tmp, err)
	}
	if err = lockDir(dirf); err != nil {
		return nil, err
	}
	seg := segment{}
	if f, err = os.OpenFile(segmentPath(tmp, seg), os.O_CREATE|os.O_EXCL|os.O_RDWR, fileMode); err != nil {
		return nil, fmt.Errorf("wal: create segment: %w", err)
	}
	if err = preallocate(f, opts.SegmentSize); err != nil {
		return nil, err
	}
	enc := encoder{w: f}
	enc.encodeCRC()
	if err = enc.encodeBytes(metadataType, metadata); err != nil {
		return nil, err
	}
	if err = enc.flush(); err != nil {
		return nil, err
	}
	// The segment's records and size, then its directory entry, then the directory's
	// name: after a crash dir either does not exist or holds a readable segment.
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("wal: sync segment: %w", err)
	}
	if err = dirf.Sync(); err != nil {
		return nil, fmt.Errorf("wal: sync %s: %w", tmp, err)
	}
	// os.Rename does not replace a directory: remove dir if it exists and is empty (a
	// non-empty one without segments is not ours to delete, and Remove refuses it).
	if err = os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	if err = os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	if err = syncDir(parent); err != nil {
		return nil, err
	}
	w := &WAL{
		lg:          opts.Logger,
		dir:         dir,
		segmentSize: opts.SegmentSize,
		dirf:        dirf,
		segs:        []segment{seg},
		read:        true,
		metadata:    append([]byte{}, metadata...),
		tail:        f,
		enc:         enc,
	}
	w.fp = newFilePipeline(w.lg, dir, w.segmentSize)
	w.lg.Info().Str("path", dir).Msg("created WAL")
	return w, nil
}

// Open opens the WAL in dir for reading from the snapshot from (the zero Snapshot to read
// from the beginning) and then appending. It takes the directory lock: a second Open, in
// this process or another, fails with ErrLocked. Call ReadAll before anything else.
func Open(dir string, from Snapshot, opts Options) (_ *WAL, err error) {
	opts = opts.withDefaults()
	dir = filepath.Clean(dir)
	dirf, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			dirf.Close()
		}
	}()
	if err := lockDir(dirf); err != nil {
		return nil, err
	}
	// List only under the lock: a previous holder may have cut or purged until now.
	segs, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	start, ok := searchIndex(segs, from.Index)
	if !ok {
		return nil, fmt.Errorf("%w %d in %s (oldest segment %s)", ErrSegmentNotFound, from.Index, dir, segs[0].name())
	}
	if err := removeSpares(dir); err != nil {
		return nil, err
	}
	return &WAL{
		lg:          opts.Logger,
		dir:         dir,
		segmentSize: opts.SegmentSize,
		dirf:        dirf,
		segs:        segs,
		start:       start,
		from:        from,
		snapIndex:   from.Index,
	}, nil
}

// ReadAll reads the WAL from the snapshot it was opened at and readies it for appends. It
// returns the metadata, the last hard state and the entries after the snapshot, where a
// later entry replaces an earlier one with the same index and all entries after it. A
// torn record at the end of the last segment is cut off, after copying the segment to
// <name>.broken; any other damage is an error naming the file and offset. ReadAll may be
// called once.
func (w *WAL) ReadAll() (metadata []byte, hs raftpb.HardState, ents []raftpb.Entry, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, hs, nil, ErrClosed
	}
	if w.read {
		return nil, hs, nil, ErrNotRead
	}
	w.read = true
	defer func() {
		if err != nil {
			// A failed read is not retried and leaves no tail to append to: the caller
			// can only close the WAL.
			w.fail(err)
		}
	}()
	rp := replay{from: w.from, entries: true}
	var (
		crc     uint32
		chained bool
		end     int64
	)
	last := len(w.segs) - 1
	for i := w.start; i <= last; i++ {
		seg := w.segs[i]
		path := segmentPath(w.dir, seg)
		if seg.index > 0 {
			rp.lastIndex = seg.index - 1 // what the writer had when it cut this segment
		}
		end, crc, err = readSegmentFile(path, crc, chained, &rp)
		chained = true
		switch {
		case err == nil:
		case errors.Is(err, errTorn) && i == last:
			if err := w.repairTail(path, end); err != nil {
				return nil, hs, nil, err
			}
		case errors.Is(err, errTorn):
			return nil, hs, nil, corruptAt(path, end, ErrTornRecord, "not in the last segment")
		default:
			return nil, hs, nil, err
		}
	}
	if w.from.Index != 0 && !rp.matched {
		return nil, hs, nil, fmt.Errorf("%w: index %d term %d in %s", ErrSnapshotNotFound, w.from.Index, w.from.Term, w.dir)
	}
	if err := w.openTail(end, crc); err != nil {
		return nil, hs, nil, err
	}
	w.metadata, w.state, w.lastIndex = rp.metadata, rp.state, rp.lastIndex
	for _, s := range rp.snaps {
		w.snapIndex = max(w.snapIndex, s.Index)
	}
	w.fp = newFilePipeline(w.lg, w.dir, w.segmentSize)
	return rp.metadata, rp.state, rp.ents, nil
}

// openTail opens the last segment for appending at end, where its records stop.
func (w *WAL) openTail(end int64, crc uint32) error {
	path := segmentPath(w.dir, w.segs[len(w.segs)-1])
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: open tail segment: %w", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("wal: seek tail segment: %w", err)
	}
	w.tail = f
	w.enc = encoder{w: f, crc: crc, off: end}
	return nil
}

// Close syncs and closes the tail segment, stops preparing spares and releases the
// directory lock. Closing twice is a no-op.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.fp != nil {
		w.fp.stop()
	}
	var errs []error
	if w.tail != nil {
		if w.err == nil {
			if err := fdatasync(w.tail); err != nil {
				errs = append(errs, fmt.Errorf("wal: sync on close: %w", err))
			}
		}
		if err := w.tail.Close(); err != nil {
			errs = append(errs, fmt.Errorf("wal: close tail: %w", err))
		}
	}
	// Closing the directory releases the lock.
	if err := w.dirf.Close(); err != nil {
		errs = append(errs, fmt.Errorf("wal: close %s: %w", w.dir, err))
	}
	return errors.Join(errs...)
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}
