package wal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"
)

// Snapshotter saves and loads raft snapshots as files %016x-%016x.snap (term, index) in
// one directory, which must exist. Snapshot data is opaque to it.
type Snapshotter struct {
	lg  zerolog.Logger
	dir string
}

// NewSnapshotter returns a Snapshotter for dir.
func NewSnapshotter(dir string, logger zerolog.Logger) *Snapshotter {
	return &Snapshotter{lg: logger.With().Str("component", "snapshotter").Logger(), dir: dir}
}

// SaveSnap writes snap to its file: under a temporary name, synced, renamed, and the
// directory synced, so a crash leaves either no file or a complete one. An empty snapshot
// (index 0) is not written.
func (s *Snapshotter) SaveSnap(snap raftpb.Snapshot) error {
	if snap.Metadata.Index == 0 {
		return nil
	}
	b, err := encodeSnapFile(&snap)
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, snapName(snap.Metadata.Term, snap.Metadata.Index))
	tmp := path + spareSuffix
	if err := writeSynced(tmp, b); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal: save snapshot: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	s.lg.Debug().Str("path", path).Int("bytes", len(b)).Msg("wrote snapshot file")
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fileMode)
	if err != nil {
		return fmt.Errorf("wal: save snapshot: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("wal: save snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("wal: save snapshot: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("wal: save snapshot: %w", err)
	}
	return nil
}

// Load returns the newest valid snapshot. A newest file that is truncated or corrupt is
// renamed to <name>.broken, logged, and the next older one is tried. It returns
// ErrNoSnapshot when no valid snapshot is left.
func (s *Snapshotter) Load() (*raftpb.Snapshot, error) {
	return s.loadNewest(func(Snapshot) bool { return true })
}

// LoadNewestAvailable is Load restricted to snapshots whose index and term appear in
// walSnaps (from ValidSnapshotEntries): a snapshot file without its WAL marker was still
// being recorded when the member stopped and may be ahead of the log.
func (s *Snapshotter) LoadNewestAvailable(walSnaps []Snapshot) (*raftpb.Snapshot, error) {
	return s.loadNewest(func(id Snapshot) bool { return slices.Contains(walSnaps, id) })
}

func (s *Snapshotter) loadNewest(accept func(Snapshot) bool) (*raftpb.Snapshot, error) {
	ids, err := s.list()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !accept(id) {
			continue
		}
		path := filepath.Join(s.dir, snapName(id.Term, id.Index))
		snap, err := readSnapFile(path, id)
		if err == nil {
			return snap, nil
		}
		if !errors.Is(err, ErrSnapshotCorrupt) {
			return nil, err
		}
		if rerr := os.Rename(path, path+brokenSuffix); rerr != nil {
			return nil, fmt.Errorf("wal: set aside broken snapshot: %w", rerr)
		}
		s.lg.Warn().Err(err).Str("path", path).Msg("broken snapshot skipped")
	}
	return nil, ErrNoSnapshot
}

// readSnapFile reads and checks the snapshot file at path, which must hold id.
func readSnapFile(path string, id Snapshot) (*raftpb.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wal: load snapshot: %w", err)
	}
	snap, err := decodeSnapFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if snap.Metadata.Index != id.Index || snap.Metadata.Term != id.Term {
		return nil, fmt.Errorf("%s: %w: holds index %d term %d", path, ErrSnapshotCorrupt, snap.Metadata.Index, snap.Metadata.Term)
	}
	return &snap, nil
}

// list returns the snapshot files in the directory, newest (highest index, then term)
// first.
func (s *Snapshotter) list() ([]Snapshot, error) {
	des, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wal: list snapshots: %w", err)
	}
	var ids []Snapshot
	for _, de := range des {
		if term, index, ok := parseSnapName(de.Name()); ok && de.Type().IsRegular() {
			ids = append(ids, Snapshot{Index: index, Term: term})
		}
	}
	slices.SortFunc(ids, func(a, b Snapshot) int {
		switch {
		case a.Index != b.Index:
			return cmpDesc(a.Index, b.Index)
		default:
			return cmpDesc(a.Term, b.Term)
		}
	})
	return ids, nil
}

func cmpDesc(a, b uint64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// Purge deletes all but the newest maxFiles snapshot files (0 keeps all) and any temporary
// file a crashed SaveSnap left behind.
func (s *Snapshotter) Purge(maxFiles int) error {
	ids, err := s.list()
	if err != nil {
		return err
	}
	var doomed []string
	if maxFiles > 0 && len(ids) > maxFiles {
		for _, id := range ids[maxFiles:] {
			doomed = append(doomed, snapName(id.Term, id.Index))
		}
	}
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("wal: purge snapshots: %w", err)
	}
	for _, de := range des {
		if strings.HasSuffix(de.Name(), snapSuffix+spareSuffix) {
			doomed = append(doomed, de.Name())
		}
	}
	if len(doomed) == 0 {
		return nil
	}
	for _, name := range doomed {
		path := filepath.Join(s.dir, name)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wal: purge snapshots: %w", err)
		}
		s.lg.Info().Str("path", path).Msg("purged snapshot")
	}
	return syncDir(s.dir)
}
