package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/wal"
)

// backupDirs are the directories of `backup`; empty WAL directories default to
// <dir>/member/wal.
type backupDirs struct {
	dataDir, walDir, backupDir, backupWALDir string
}

// backup copies a member's newest snapshot and its WAL into a new data dir under a new
// member ID and cluster ID (SPEC 8.3, 9.4). The copy's configuration still names the
// old members, none of which is the new ID, so it only serves again when started with
// --force-new-cluster, which makes it a one-member cluster keeping the data; it can
// never rejoin the cluster it came from.
//
// The source is read from a private copy: our WAL takes a directory lock and repairs a
// torn tail when read, and neither may touch the data dir of a running member.
//
// It knows one private detail of our server: the WAL metadata record is the member ID
// and the cluster ID, 8 bytes each, big-endian (raft/storage.go).
func backup(d backupDirs, newID func() uint64) error {
	if d.dataDir == "" || d.backupDir == "" {
		return errors.New("backup: --data-dir and --backup-dir are required")
	}
	srcSnap := filepath.Join(d.dataDir, "member", "snap")
	srcWAL := firstSet(d.walDir, filepath.Join(d.dataDir, "member", "wal"))
	destSnap := filepath.Join(d.backupDir, "member", "snap")
	destWAL := firstSet(d.backupWALDir, filepath.Join(d.backupDir, "member", "wal"))
	if !wal.Exist(srcWAL) {
		return fmt.Errorf("backup: no WAL in %s", srcWAL)
	}

	tmp, err := os.MkdirTemp("", "etcdctl-backup-")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	readWAL, readSnap := filepath.Join(tmp, "wal"), filepath.Join(tmp, "snap")
	if err := copyFiles(srcWAL, readWAL, ".wal"); err != nil {
		return err
	}
	if err := copyFiles(srcSnap, readSnap, ".snap"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}

	nop := zerolog.Nop()
	marks, err := wal.ValidSnapshotEntries(readWAL)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	var from wal.Snapshot
	snap, err := wal.NewSnapshotter(readSnap, nop).LoadNewestAvailable(marks)
	switch {
	case errors.Is(err, wal.ErrNoSnapshot):
	case err != nil:
		return fmt.Errorf("backup: %w", err)
	default:
		from = wal.Snapshot{Index: snap.Metadata.Index, Term: snap.Metadata.Term}
	}
	r, err := wal.Open(readWAL, from, wal.Options{Logger: nop})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	meta, hs, ents, err := r.ReadAll()
	r.Close()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if len(meta) != 16 {
		return fmt.Errorf("backup: %s was not written by etcd2 (metadata of %d bytes)", srcWAL, len(meta))
	}

	// A new identity: the copy must not be taken for the member it came from.
	newMeta := make([]byte, 16)
	binary.BigEndian.PutUint64(newMeta[0:8], nonZero(newID))
	binary.BigEndian.PutUint64(newMeta[8:16], nonZero(newID))

	if snap != nil {
		if err := os.MkdirAll(destSnap, 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if err := wal.NewSnapshotter(destSnap, nop).SaveSnap(*snap); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	w, err := wal.Create(destWAL, newMeta, wal.Options{Logger: nop})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// The snapshot's marker comes first: a replay starts there, and the entries that
	// follow it continue from its index.
	if snap != nil {
		if err := w.SaveSnapshot(from); err != nil {
			w.Close()
			return fmt.Errorf("backup: %w", err)
		}
	}
	if err := w.Save(hs, ents, true); err != nil {
		w.Close()
		return fmt.Errorf("backup: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func nonZero(next func() uint64) uint64 {
	for {
		if v := next(); v != 0 {
			return v
		}
	}
}

// copyFiles copies the files of src ending in suffix into a new directory dst, skipping
// spares and broken copies.
func copyFiles(src, dst, suffix string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), suffix) {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
