package raft

import (
	"sync/atomic"

	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// logStorage is the raft log kept in memory: upstream's MemoryStorage, compacted to a
// bounded number of entries behind the applied index even when that is past the newest
// snapshot (the WAL on disk still holds everything since that snapshot). A follower that
// falls behind the compacted log then needs a snapshot newer than the stored one;
// Snapshot asks the Ready loop for it instead of handing raft one it could not continue
// from.
//
// Snapshot runs on upstream raft's goroutine, everything else on the Ready loop; the
// MemoryStorage lock and the atomics below are all they share.
type logStorage struct {
	*etcdraft.MemoryStorage
	// wantc carries at most one pending request for a fresh snapshot.
	wantc chan struct{}
	// pinned is the index of the newest snapshot handed to raft for a follower (0: none).
	// Compaction stays at or behind it until the follower has caught up past it, so a
	// follower that needs a few seconds to receive and install a snapshot can continue
	// from the log afterwards instead of needing another snapshot.
	pinned atomic.Uint64
}

func newLogStorage() *logStorage {
	return &logStorage{MemoryStorage: etcdraft.NewMemoryStorage(), wantc: make(chan struct{}, 1)}
}

// Snapshot implements etcdraft.Storage. Raft asks for a snapshot only to send it to a
// follower whose next entry is no longer in the log; a snapshot older than the compacted
// index would leave that follower with a gap, so it asks for a fresh one and reports the
// snapshot as temporarily unavailable. Raft tries again at the follower's next heartbeat
// response (the error must be the bare sentinel: raft compares it with ==).
func (s *logStorage) Snapshot() (raftpb.Snapshot, error) {
	snap, _ := s.MemoryStorage.Snapshot()
	if !s.fresh(snap.Metadata.Index) {
		s.requestSnapshot()
		return raftpb.Snapshot{}, etcdraft.ErrSnapshotTemporarilyUnavailable
	}
	s.pin(snap.Metadata.Index)
	return snap, nil
}

// fresh reports whether a snapshot at index lets a follower continue from the log: the
// log must hold the entry right after it.
func (s *logStorage) fresh(index uint64) bool {
	first, _ := s.FirstIndex()
	return index > 0 && index+1 >= first
}

// stale reports whether the stored snapshot is no longer fresh.
func (s *logStorage) stale() bool {
	snap, _ := s.MemoryStorage.Snapshot()
	return !s.fresh(snap.Metadata.Index)
}

func (s *logStorage) requestSnapshot() {
	select {
	case s.wantc <- struct{}{}:
	default: // one request is already pending
	}
}

func (s *logStorage) pin(index uint64) {
	for {
		old := s.pinned.Load()
		if old >= index || s.pinned.CompareAndSwap(old, index) {
			return
		}
	}
}

// unpin drops the pin at index, unless a newer snapshot was pinned meanwhile.
func (s *logStorage) unpin(index uint64) { s.pinned.CompareAndSwap(index, 0) }

// compactTarget is the compaction rule: the index to pass to Compact so the log keeps
// keep entries up to and including applied, or 0 when there is nothing worth doing.
// MemoryStorage.Compact copies the entries it keeps, so it runs only once slack entries
// beyond keep have gathered (each entry is then copied about keep/slack times). It never
// compacts past pinned (when non-zero) nor past last, the newest entry in the storage.
func compactTarget(first, last, applied, keep, slack, pinned uint64) uint64 {
	if applied > last {
		applied = last // cannot happen after the Ready's append; keeps Compact in bounds
	}
	if applied < first || applied-first+1 < keep+slack {
		return 0
	}
	to := applied - keep
	if pinned != 0 && to > pinned {
		to = pinned
	}
	if to < first { // Compact(first-1) is a no-op, below it an error
		return 0
	}
	return to
}
