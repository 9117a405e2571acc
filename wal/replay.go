package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.etcd.io/raft/v3/raftpb"
)

// replay accumulates what a sequence of records says: the metadata, the last hard state,
// the raft log after a snapshot and the snapshot markers.
type replay struct {
	from      Snapshot // entries up to from.Index are covered by the snapshot
	entries   bool     // decode entries; ValidSnapshotEntries does not need them
	metadata  []byte
	haveMeta  bool
	state     raftpb.HardState
	ents      []raftpb.Entry
	lastIndex uint64 // index of the last entry or marker written; names the next segment
	matched   bool   // a marker for from was seen
	snaps     []Snapshot
}

// apply interprets one record found at rec.off in path.
func (rp *replay) apply(path string, rec record) error {
	switch rec.typ {
	case metadataType:
		if rp.haveMeta && !bytes.Equal(rp.metadata, rec.data) {
			return corruptAt(path, rec.off, ErrMetadataConflict, "")
		}
		if !rp.haveMeta {
			rp.metadata, rp.haveMeta = bytes.Clone(rec.data), true
		}
	case entryType:
		if rp.entries {
			return rp.applyEntry(path, rec)
		}
	case stateType:
		var hs raftpb.HardState
		if err := hs.Unmarshal(rec.data); err != nil {
			return corruptAt(path, rec.off, ErrCorrupt, "undecodable hard state: "+err.Error())
		}
		rp.state = hs
	case snapshotType:
		s, ok := parseSnapshot(rec.data)
		if !ok {
			return corruptAt(path, rec.off, ErrCorrupt, "snapshot marker of wrong size")
		}
		rp.snaps = append(rp.snaps, s)
		rp.lastIndex = max(rp.lastIndex, s.Index)
		if rp.from.Index != 0 && s.Index == rp.from.Index {
			if s.Term != rp.from.Term {
				return fmt.Errorf("%w: %s at offset %d has term %d at index %d, snapshot has term %d",
					ErrSnapshotMismatch, path, rec.off, s.Term, s.Index, rp.from.Term)
			}
			rp.matched = true
		}
	}
	return nil
}

// applyEntry appends an entry after the snapshot. An entry whose index is already in the
// log replaces it and everything after it: raft truncated its log there (a new leader
// overwrote uncommitted entries).
func (rp *replay) applyEntry(path string, rec record) error {
	var e raftpb.Entry
	if err := e.Unmarshal(rec.data); err != nil {
		return corruptAt(path, rec.off, ErrCorrupt, "undecodable entry: "+err.Error())
	}
	rp.lastIndex = e.Index
	if e.Index <= rp.from.Index {
		return nil
	}
	pos := e.Index - rp.from.Index - 1
	if pos > uint64(len(rp.ents)) {
		return corruptAt(path, rec.off, ErrCorrupt,
			fmt.Sprintf("entry %d follows entry %d", e.Index, rp.from.Index+uint64(len(rp.ents))))
	}
	rp.ents = append(rp.ents[:pos], e)
	return nil
}

// readSegment replays the segment at path, size bytes read through ra, into rp. When
// chained is true the segment must continue the checksum chain value crc. It returns the
// offset after the last good record, the chain value there and the reason it stopped: nil
// at the clean end of the segment, errTorn, or an error naming the file and offset.
func readSegment(path string, ra io.ReaderAt, size int64, crc uint32, chained bool, rp *replay) (int64, uint32, error) {
	d := newDecoder(path, ra, size, crc, chained)
	for {
		rec, err := d.next()
		if errors.Is(err, io.EOF) {
			if d.count < 2 {
				return d.off, d.crc, corruptAt(path, d.off, ErrCorrupt, "segment lacks its crc and metadata records")
			}
			return d.off, d.crc, nil
		}
		if err != nil {
			return d.off, d.crc, err
		}
		// Every segment starts with its crc record and the metadata, written and synced
		// together before the segment got its name.
		if d.count == 2 && rec.typ != metadataType {
			return d.off, d.crc, corruptAt(path, rec.off, ErrCorrupt, "second record is not the metadata")
		}
		if err := rp.apply(path, rec); err != nil {
			return d.off, d.crc, err
		}
	}
}

// readSegmentFile opens path and replays it with readSegment.
func readSegmentFile(path string, crc uint32, chained bool, rp *replay) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, crc, fmt.Errorf("wal: open segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, crc, fmt.Errorf("wal: stat segment: %w", err)
	}
	return readSegment(path, f, fi.Size(), crc, chained, rp)
}

// ValidSnapshotEntries returns the snapshot markers recorded in the WAL in dir, oldest
// first, leaving out markers beyond the last recorded commit index (a snapshot received
// from the leader whose hard state was not saved yet: raft cannot restart from it). The
// caller loads the newest snapshot file that has a marker here. A torn tail of the last
// segment is ignored, as Open would repair it; other damage is an error.
func ValidSnapshotEntries(dir string) ([]Snapshot, error) {
	segs, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	var (
		rp      replay
		crc     uint32
		chained bool
	)
	for i, seg := range segs {
		path := segmentPath(dir, seg)
		var end int64
		end, crc, err = readSegmentFile(path, crc, chained, &rp)
		chained = true
		switch {
		case err == nil:
		case errors.Is(err, errTorn) && i == len(segs)-1:
		case errors.Is(err, errTorn):
			return nil, corruptAt(path, end, ErrTornRecord, "not in the last segment")
		default:
			return nil, err
		}
	}
	var snaps []Snapshot
	for _, s := range rp.snaps {
		if s.Index <= rp.state.Commit {
			snaps = append(snaps, s)
		}
	}
	return snaps, nil
}
