package wal

import (
	"fmt"
	"os"
)

// Permissions of what the WAL and the Snapshotter create: only the member's user reads
// its log.
const (
	dirMode  = 0o700
	fileMode = 0o600
)

// preallocate gives f size bytes of zeros so appends do not change the file's size (each
// size change is a metadata update fdatasync must flush) and a full disk shows up when a
// segment is prepared, not in the middle of a write.
func preallocate(f *os.File, size int64) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("wal: preallocate: %w", err)
	}
	if fi.Size() >= size {
		return nil
	}
	if err := fallocate(f, size); err == nil {
		return nil
	}
	// The file system cannot allocate (or the platform has no fallocate): a sparse
	// extension reads as zeros just the same.
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("wal: preallocate: %w", err)
	}
	return nil
}

// syncDir makes creations, renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wal: sync dir %s: %w", dir, err)
	}
	return nil
}
