package wal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ReleaseTo marks the segments that are not needed to replay the log from a snapshot at
// index: those before the last segment whose first index is at most index. Purge may then
// delete them. index is capped at the newest snapshot marker this WAL has written or
// read, so a segment holding entries no snapshot covers is never released.
func (w *WAL) ReleaseTo(index uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writable(); err != nil {
		return err
	}
	i, ok := searchIndex(w.segs, min(index, w.snapIndex))
	if !ok {
		i = 0
	}
	w.released = i
	return nil
}

// Purge deletes the oldest released segments, keeping the newest maxFiles of them
// (maxFiles 0 keeps all). The segment needed by the last release and every segment after
// it are never deleted.
func (w *WAL) Purge(maxFiles int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writable(); err != nil {
		return err
	}
	if maxFiles <= 0 {
		return nil
	}
	n := w.released - maxFiles
	if n <= 0 {
		return nil
	}
	// Oldest first: a purge that stops half way leaves the segments contiguous.
	removed := 0
	var err error
	for _, seg := range w.segs[:n] {
		path := segmentPath(w.dir, seg)
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("wal: purge: %w", rerr)
			break
		}
		removed++
		w.lg.Info().Str("path", path).Msg("purged WAL segment")
	}
	w.segs = w.segs[removed:]
	w.released -= removed
	w.start = max(0, w.start-removed)
	if removed > 0 {
		if serr := w.dirf.Sync(); serr != nil && err == nil {
			err = fmt.Errorf("wal: purge: sync %s: %w", w.dir, serr)
		}
	}
	return err
}
