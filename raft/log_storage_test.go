package raft

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// filledLogStorage holds entries 1..last (term 1), a snapshot at snap (none when 0), and
// is compacted to compact (not at all when 0).
func filledLogStorage(t *testing.T, last, snap, compact uint64) *logStorage {
	t.Helper()
	s := newLogStorage()
	ents := make([]raftpb.Entry, 0, last)
	for i := uint64(1); i <= last; i++ {
		ents = append(ents, raftpb.Entry{Index: i, Term: 1, Data: []byte("x")})
	}
	if err := s.Append(ents); err != nil {
		t.Fatal(err)
	}
	if snap > 0 {
		if _, err := s.CreateSnapshot(snap, &raftpb.ConfState{Voters: []uint64{1}}, []byte("data")); err != nil {
			t.Fatal(err)
		}
	}
	if compact > 0 {
		if err := s.Compact(compact); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestLogStorageSnapshot(t *testing.T) {
	tests := []struct {
		name                  string
		last, snap, compact   uint64
		wantErr               error
		wantIndex, wantPinned uint64
		wantRequest           bool
	}{
		{name: "snapshot ahead of the compacted log", last: 100, snap: 90, compact: 50, wantIndex: 90, wantPinned: 90},
		{name: "snapshot right at the compacted index", last: 100, snap: 50, compact: 50, wantIndex: 50, wantPinned: 50},
		{name: "compacted past the snapshot", last: 100, snap: 40, compact: 50,
			wantErr: etcdraft.ErrSnapshotTemporarilyUnavailable, wantRequest: true},
		{name: "compacted without any snapshot", last: 100, compact: 50,
			wantErr: etcdraft.ErrSnapshotTemporarilyUnavailable, wantRequest: true},
		{name: "no snapshot and nothing compacted", last: 10,
			wantErr: etcdraft.ErrSnapshotTemporarilyUnavailable, wantRequest: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := filledLogStorage(t, tt.last, tt.snap, tt.compact)
			snap, err := s.Snapshot()
			// Raft compares the error with ==: it must be the bare sentinel.
			if err != tt.wantErr {
				t.Fatalf("Snapshot() error = %v, want %v", err, tt.wantErr)
			}
			if snap.Metadata.Index != tt.wantIndex {
				t.Errorf("Snapshot() index = %d, want %d", snap.Metadata.Index, tt.wantIndex)
			}
			if got := s.pinned.Load(); got != tt.wantPinned {
				t.Errorf("pinned = %d, want %d", got, tt.wantPinned)
			}
			if got := len(s.wantc) == 1; got != tt.wantRequest {
				t.Errorf("snapshot requested = %v, want %v", got, tt.wantRequest)
			}
			if got := s.stale(); got != tt.wantRequest {
				t.Errorf("stale() = %v, want %v", got, tt.wantRequest)
			}
		})
	}
}

func TestLogStorageRequestsCoalesce(t *testing.T) {
	s := filledLogStorage(t, 100, 10, 50)
	for range 3 {
		if _, err := s.Snapshot(); !errors.Is(err, etcdraft.ErrSnapshotTemporarilyUnavailable) {
			t.Fatalf("Snapshot() error = %v", err)
		}
	}
	if len(s.wantc) != 1 {
		t.Fatalf("pending requests = %d, want 1", len(s.wantc))
	}
	// The Ready loop answers with a snapshot at its applied index; raft's retry gets it.
	<-s.wantc
	if _, err := s.CreateSnapshot(100, nil, []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot()
	if err != nil || snap.Metadata.Index != 100 || string(snap.Data) != "fresh" {
		t.Fatalf("Snapshot() = %d %q, %v; want 100 \"fresh\"", snap.Metadata.Index, snap.Data, err)
	}
	if len(s.wantc) != 0 {
		t.Errorf("a fresh snapshot still requested another")
	}
}

func TestLogStoragePin(t *testing.T) {
	s := newLogStorage()
	s.pin(10)
	s.pin(5) // an older snapshot never lowers the pin
	if got := s.pinned.Load(); got != 10 {
		t.Fatalf("pinned = %d, want 10", got)
	}
	s.unpin(5) // not the pinned index: a newer snapshot was handed out meanwhile
	if got := s.pinned.Load(); got != 10 {
		t.Fatalf("after unpin(5) pinned = %d, want 10", got)
	}
	s.unpin(10)
	if got := s.pinned.Load(); got != 0 {
		t.Fatalf("after unpin(10) pinned = %d, want 0", got)
	}
}

func TestCompactTarget(t *testing.T) {
	tests := []struct {
		name                                      string
		first, last, applied, keep, slack, pinned uint64
		want                                      uint64
	}{
		{name: "fewer than keep+slack entries", first: 1, last: 100, applied: 100, keep: 50, slack: 60, want: 0},
		{name: "exactly keep+slack entries", first: 1, last: 100, applied: 100, keep: 50, slack: 50, want: 50},
		{name: "counts only up to applied", first: 1, last: 200, applied: 99, keep: 50, slack: 50, want: 0},
		{name: "past the newest snapshot", first: 1001, last: 3000, applied: 3000, keep: 1000, slack: 250, want: 2000},
		{name: "held back by a pin", first: 1001, last: 3000, applied: 3000, keep: 1000, slack: 250, pinned: 1500, want: 1500},
		{name: "pin ahead of the target", first: 1001, last: 3000, applied: 3000, keep: 1000, slack: 250, pinned: 2500, want: 2000},
		{name: "pin at the compacted index", first: 1001, last: 3000, applied: 3000, keep: 1000, slack: 250, pinned: 1000, want: 0},
		{name: "applied beyond the storage", first: 1, last: 100, applied: 500, keep: 10, slack: 10, want: 90},
		{name: "applied behind first (just restored a snapshot)", first: 501, last: 500, applied: 500, keep: 10, slack: 1, want: 0},
		{name: "keep zero keeps the applied entry out", first: 1, last: 10, applied: 10, keep: 0, slack: 1, want: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compactTarget(tt.first, tt.last, tt.applied, tt.keep, tt.slack, tt.pinned)
			if got != tt.want {
				t.Fatalf("compactTarget(%d, %d, %d, %d, %d, %d) = %d, want %d",
					tt.first, tt.last, tt.applied, tt.keep, tt.slack, tt.pinned, got, tt.want)
			}
			if got != 0 {
				// The target is always one MemoryStorage.Compact accepts.
				s := filledLogStorage(t, tt.last, 0, tt.first-1)
				if err := s.Compact(got); err != nil {
					t.Fatalf("Compact(%d): %v", got, err)
				}
			}
		})
	}
}

// TestLogCompactedPastSnapshot writes far more than CatchUpEntries with no periodic
// snapshot: the in-memory log stays bounded, a restart still recovers every key from the
// WAL, and a snapshot asked for by raft is made at the applied index.
func TestLogCompactedPastSnapshot(t *testing.T) {
	const keep, writes = 20, 200
	dir := t.TempDir()
	mod := func(c *Config) { c.CatchUpEntries = keep; c.SnapshotCount = 1 << 20 }
	n := testMember(t, dir, mod)
	for i := range writes {
		set(t, n, fmt.Sprintf("/1/k%d", i), fmt.Sprintf("v%d", i))
	}
	first, _ := n.disk.storage.FirstIndex()
	last, _ := n.disk.storage.LastIndex()
	if held := last - first + 1; held >= keep+keep/4+5 {
		t.Errorf("log holds %d entries (%d..%d), want under %d", held, first, last, keep+keep/4+5)
	}
	if first < 100 {
		t.Errorf("log first index = %d, want compacted past 100", first)
	}

	// Restart with no snapshot at all: the WAL still holds every entry.
	n.Stop()
	if err := n.Err(); err != nil {
		t.Fatalf("member failed: %v", err)
	}
	n = testMember(t, dir, mod)
	checkKeys(t, n, "/1/k0", fmt.Sprintf("/1/k%d", writes-1))
	set(t, n, "/1/compact", "again") // the first Ready after the restart compacts

	// What raft does for a follower whose next entry was compacted away.
	if _, err := n.disk.storage.Snapshot(); err != etcdraft.ErrSnapshotTemporarilyUnavailable {
		t.Fatalf("Snapshot() error = %v, want ErrSnapshotTemporarilyUnavailable", err)
	}
	var snap raftpb.Snapshot
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := n.disk.storage.Snapshot()
		if err == nil {
			snap = s
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no fresh snapshot within 10s of the request")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if first, _ := n.disk.storage.FirstIndex(); snap.Metadata.Index+1 < first {
		t.Errorf("snapshot index %d leaves a gap before first index %d", snap.Metadata.Index, first)
	}
	// The storage hands the snapshot out as soon as it is made; its file follows within
	// the same Ready-loop step.
	want := filepath.Join(dir, "member", "snap", fmt.Sprintf("%016x-%016x.snap", snap.Metadata.Term, snap.Metadata.Index))
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "member", "snap", "*.snap"))
		if len(files) == 1 && files[0] == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshot files = %v, want [%s]", files, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Handing the snapshot out pinned it; with no follower behind it, the pin goes once
	// it holds compaction back, and the log is bounded again.
	if got := n.disk.storage.pinned.Load(); got != snap.Metadata.Index {
		t.Errorf("pinned = %d, want %d", got, snap.Metadata.Index)
	}
	for i := range 3 * keep {
		set(t, n, fmt.Sprintf("/1/after%d", i), "snapshot")
	}
	if got := n.disk.storage.pinned.Load(); got != 0 {
		t.Errorf("pinned = %d after %d more writes, want 0", got, 3*keep)
	}
	if first, _ := n.disk.storage.FirstIndex(); first <= snap.Metadata.Index+1 {
		t.Errorf("first index = %d, want compacted past the snapshot at %d", first, snap.Metadata.Index)
	}
	set(t, n, "/1/after", "snapshot")
	n.Stop()
	if err := n.Err(); err != nil {
		t.Fatalf("member failed: %v", err)
	}

	// Restart: newest snapshot plus the WAL after it.
	r := testMember(t, dir, mod)
	checkKeys(t, r, "/1/k0", fmt.Sprintf("/1/k%d", writes-1), "/1/compact", "/1/after")
}

func checkKeys(t *testing.T, n *Node, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := n.st.Get(k, false, false); err != nil {
			t.Errorf("Get(%s): %v", k, err)
		}
	}
}
