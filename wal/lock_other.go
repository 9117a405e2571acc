//go:build !unix

package wal

import (
	"errors"
	"fmt"
	"os"
)

// lockDir refuses: without flock two members could append to the same log.
func lockDir(d *os.File) error {
	return fmt.Errorf("wal: lock %s: %w", d.Name(), errors.ErrUnsupported)
}
