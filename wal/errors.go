package wal

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test them with errors.Is; the text of a returned error adds the
// directory, file or offset the WAL knows about.
var (
	// ErrCRCMismatch reports a record whose checksum does not match its contents or whose
	// segment does not continue the checksum chain of the one before.
	ErrCRCMismatch = errors.New("wal: crc mismatch")
	// ErrCorrupt reports bytes on disk that are not a well-formed record sequence: a bad
	// frame header, an unknown record type, an undecodable payload, data after the end of
	// the log, a gap in the entry indexes.
	ErrCorrupt = errors.New("wal: corrupt record")
	// ErrTornRecord reports a partly written record anywhere but at the tail of the last
	// segment, where it would have been repaired.
	ErrTornRecord = errors.New("wal: torn record")
	// ErrMissingSegment reports a hole in the sequence numbers of the segment files.
	ErrMissingSegment = errors.New("wal: missing segment")
	// ErrMetadataConflict reports segments that carry different metadata.
	ErrMetadataConflict = errors.New("wal: conflicting metadata")
	// ErrExist is returned by Create for a directory that already holds a WAL.
	ErrExist = errors.New("wal: already exists")
	// ErrNotFound is returned when a directory holds no WAL segment.
	ErrNotFound = errors.New("wal: no WAL segments")
	// ErrLocked is returned when another WAL value, in this process or another, holds the
	// directory.
	ErrLocked = errors.New("wal: locked by another process")
	// ErrSegmentNotFound is returned by Open when no segment covers the requested index
	// (the segments that did were purged).
	ErrSegmentNotFound = errors.New("wal: no segment covers index")
	// ErrSnapshotNotFound is returned by ReadAll when the WAL has no marker for the
	// snapshot it was opened at.
	ErrSnapshotNotFound = errors.New("wal: snapshot marker not found")
	// ErrSnapshotMismatch is returned by ReadAll when the WAL's marker at the snapshot's
	// index carries another term.
	ErrSnapshotMismatch = errors.New("wal: snapshot mismatch")
	// ErrNoSnapshot is returned by the Snapshotter when no usable snapshot file exists.
	ErrNoSnapshot = errors.New("wal: no snapshot")
	// ErrSnapshotCorrupt reports a snapshot file that is truncated, fails its checksum or
	// does not match its name.
	ErrSnapshotCorrupt = errors.New("wal: corrupt snapshot file")
	// ErrNotRead is returned by writes to a WAL opened with Open before ReadAll ran, and
	// by a second ReadAll.
	ErrNotRead = errors.New("wal: ReadAll must be called once before appending")
	// ErrClosed is returned by calls on a closed WAL.
	ErrClosed = errors.New("wal: closed")
)

// CorruptionError locates damage found while decoding a segment. It unwraps to
// ErrCRCMismatch, ErrCorrupt or ErrTornRecord. Its text is one line:
// "wal: crc mismatch in <file> at offset <n>" optionally followed by ": <detail>".
type CorruptionError struct {
	Path   string // segment file
	Offset int64  // byte offset of the damaged frame in Path
	Err    error  // the sentinel
	Detail string // what was wrong, when the sentinel alone does not say
}

// Error returns the one-line description.
func (e *CorruptionError) Error() string {
	s := fmt.Sprintf("%v in %s at offset %d", e.Err, e.Path, e.Offset)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *CorruptionError) Unwrap() error { return e.Err }

func corruptAt(path string, off int64, sentinel error, detail string) error {
	return &CorruptionError{Path: path, Offset: off, Err: sentinel, Detail: detail}
}
