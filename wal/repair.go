package wal

import (
	"fmt"
	"io"
	"os"
)

// repairTail cuts a torn record off the last segment at end, where the last good record
// stops. The whole segment is first copied to <name>.broken for inspection. The zero
// tail is restored, so the segment looks as if the torn write had never started.
func (w *WAL) repairTail(path string, end int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: repair: %w", err)
	}
	defer f.Close()
	broken := path + brokenSuffix
	if err := copyFile(broken, f); err != nil {
		return err
	}
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("wal: repair: truncate %s: %w", path, err)
	}
	if err := preallocate(f, w.segmentSize); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: repair: sync %s: %w", path, err)
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}
	w.lg.Warn().Str("path", path).Int64("offset", end).Str("broken", broken).Msg("repaired torn WAL tail")
	return nil
}

// copyFile copies src from its start into a new file at dst and syncs it.
func copyFile(dst string, src *os.File) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("wal: repair: %w", err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fileMode)
	if err != nil {
		return fmt.Errorf("wal: repair: %w", err)
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return fmt.Errorf("wal: repair: copy to %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("wal: repair: sync %s: %w", dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("wal: repair: close %s: %w", dst, err)
	}
	return nil
}
