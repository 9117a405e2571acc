//go:build !linux

package wal

import (
	"errors"
	"os"
)

func fallocate(*os.File, int64) error { return errors.ErrUnsupported }

func fdatasync(f *os.File) error { return f.Sync() }
