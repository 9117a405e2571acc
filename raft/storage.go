package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/wal"
)

// diskState is what a member finds (or creates) in its data dir at start.
type diskState struct {
	wal         *wal.WAL
	snapshotter *wal.Snapshotter
	storage     *logStorage
	snapshot    raftpb.Snapshot // newest usable snapshot; empty when none
	memberID    members.ID
	clusterID   members.ID
	restarted   bool // the WAL existed: raft restarts from it
}

// ErrClusterMismatch reports a data dir that belongs to another member or cluster.
var ErrClusterMismatch = errors.New("raft: data dir belongs to another member or cluster")

// metadata is the WAL's first record: who wrote this log.
func encodeMetadata(memberID, clusterID members.ID) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[0:8], uint64(memberID))
	binary.BigEndian.PutUint64(b[8:16], uint64(clusterID))
	return b
}

func decodeMetadata(b []byte) (memberID, clusterID members.ID, err error) {
	if len(b) != 16 {
		return 0, 0, fmt.Errorf("raft: bad WAL metadata (%d bytes)", len(b))
	}
	return members.ID(binary.BigEndian.Uint64(b[0:8])), members.ID(binary.BigEndian.Uint64(b[8:16])), nil
}

// openDisk opens the WAL and newest snapshot of an existing member, or creates a new WAL
// for a member that starts for the first time.
func openDisk(cfg *Config) (*diskState, error) {
	if err := os.MkdirAll(cfg.snapDir(), 0o700); err != nil {
		return nil, fmt.Errorf("raft: cannot create snapshot dir: %w", err)
	}
	ds := &diskState{
		snapshotter: wal.NewSnapshotter(cfg.snapDir(), cfg.Logger),
		storage:     newLogStorage(),
	}
	opts := wal.Options{Logger: cfg.Logger}
	if !wal.Exist(cfg.walDir()) {
		ds.memberID, ds.clusterID = cfg.Bootstrap.MemberID, cfg.Bootstrap.ClusterID
		w, err := wal.Create(cfg.walDir(), encodeMetadata(ds.memberID, ds.clusterID), opts)
		if err != nil {
			return nil, err
		}
		ds.wal = w
		return ds, nil
	}
	ds.restarted = true

	// Pick the newest snapshot file the WAL has a record of: a file without a record was
	// being written when the member stopped and may not match the log.
	walSnaps, err := wal.ValidSnapshotEntries(cfg.walDir())
	if err != nil {
		return nil, err
	}
	snap, err := ds.snapshotter.LoadNewestAvailable(walSnaps)
	switch {
	case errors.Is(err, wal.ErrNoSnapshot):
	case err != nil:
		return nil, err
	default:
		ds.snapshot = *snap
	}

	from := wal.Snapshot{Index: ds.snapshot.Metadata.Index, Term: ds.snapshot.Metadata.Term}
	w, err := wal.Open(cfg.walDir(), from, opts)
	if err != nil {
		return nil, err
	}
	meta, hs, ents, err := w.ReadAll()
	if err != nil {
		w.Close()
		return nil, err
	}
	ds.wal = w
	if ds.memberID, ds.clusterID, err = decodeMetadata(meta); err != nil {
		w.Close()
		return nil, err
	}
	if cfg.ForceNewCluster {
		if hs, ents, err = forceNewCluster(cfg, w, ds.memberID, ds.snapshot, hs, ents); err != nil {
			w.Close()
			return nil, err
		}
	}
	if !etcdraft.IsEmptySnap(ds.snapshot) {
		if err := ds.storage.ApplySnapshot(ds.snapshot); err != nil {
			w.Close()
			return nil, fmt.Errorf("raft: apply snapshot to log storage: %w", err)
		}
	}
	if err := ds.storage.SetHardState(hs); err != nil {
		w.Close()
		return nil, fmt.Errorf("raft: restore hard state: %w", err)
	}
	if err := ds.storage.Append(ents); err != nil {
		w.Close()
		return nil, fmt.Errorf("raft: restore log entries: %w", err)
	}
	return ds, nil
}
