package wal

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/raft/v3/raftpb"
)

// retentionFixture saves entries 1..100 of 100 bytes, one per Save, into 1 KiB segments
// and a snapshot marker at snap (if non-zero). The WAL stays open.
func retentionFixture(t *testing.T, snap uint64) (*WAL, string) {
	t.Helper()
	w, dir := createWAL(t, 1024, []byte("m"))
	for i := uint64(1); i <= 100; i++ {
		mustSave(t, w, raftpb.HardState{Term: 1, Commit: i}, entries(i, i, 1, 100))
		if i == snap {
			if err := w.SaveSnapshot(Snapshot{Index: snap, Term: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w, dir
}

func TestPurge(t *testing.T) {
	tests := []struct {
		name     string
		snap     uint64 // marker saved; 0 for none
		release  uint64
		maxFiles int
	}{
		{name: "keep all released", snap: 60, release: 60, maxFiles: 0},
		{name: "keep one released", snap: 60, release: 60, maxFiles: 1},
		{name: "keep three released", snap: 60, release: 60, maxFiles: 3},
		{name: "keep more than released", snap: 10, release: 10, maxFiles: 50},
		{name: "release beyond the snapshot is capped", snap: 30, release: 90, maxFiles: 1},
		{name: "no snapshot releases nothing", release: 90, maxFiles: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, dir := retentionFixture(t, tt.snap)
			before := segmentFiles(t, dir)
			covering, _ := searchIndex(w.segs, min(tt.release, tt.snap))
			if err := w.ReleaseTo(tt.release); err != nil {
				t.Fatalf("ReleaseTo(%d) error = %v", tt.release, err)
			}
			if err := w.Purge(tt.maxFiles); err != nil {
				t.Fatalf("Purge(%d) error = %v", tt.maxFiles, err)
			}
			after := segmentFiles(t, dir)

			// What must stay: the segment covering the snapshot, everything after
			// it, and maxFiles of the released ones (all when maxFiles is 0).
			keepFrom := 0
			if tt.maxFiles > 0 {
				keepFrom = max(0, covering-tt.maxFiles)
			}
			if diff := cmp.Diff(before[keepFrom:], after); diff != "" {
				t.Errorf("segments after Purge differ (-want +got):\n%s", diff)
			}

			// The log still replays from the snapshot and takes appends.
			mustSave(t, w, raftpb.HardState{Term: 1, Commit: 101}, entries(101, 101, 1, 100))
			mustClose(t, w)
			if tt.snap == 0 {
				return
			}
			_, _, _, ents, err := reopen(t, dir, Snapshot{Index: tt.snap, Term: 1}, 1024)
			if err != nil {
				t.Fatalf("ReadAll() from snapshot %d after Purge error = %v", tt.snap, err)
			}
			if diff := cmp.Diff(entries(tt.snap+1, 101, 1, 100), ents, cmpBytes); diff != "" {
				t.Errorf("entries after snapshot differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPurgeThenReopenFromStart(t *testing.T) {
	w, dir := retentionFixture(t, 80)
	if err := w.ReleaseTo(80); err != nil {
		t.Fatal(err)
	}
	if err := w.Purge(1); err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	if _, err := Open(dir, Snapshot{}, testOptions(t, 1024)); !errors.Is(err, ErrSegmentNotFound) {
		t.Errorf("Open(from the beginning) after Purge error = %v, want ErrSegmentNotFound", err)
	}
	snaps, err := ValidSnapshotEntries(dir)
	if err != nil || !slices.Contains(snaps, Snapshot{Index: 80, Term: 1}) {
		t.Errorf("ValidSnapshotEntries() after Purge = %v, %v, want the marker at 80", snaps, err)
	}
}

func TestReleaseAfterReopenKnowsOpeningSnapshot(t *testing.T) {
	w, dir := retentionFixture(t, 50)
	mustClose(t, w)
	w, _, _, _, err := reopen(t, dir, Snapshot{Index: 50, Term: 1}, 1024)
	if err != nil {
		t.Fatal(err)
	}
	before := segmentFiles(t, dir)
	covering, _ := searchIndex(w.segs, 50)
	if err := w.ReleaseTo(50); err != nil {
		t.Fatal(err)
	}
	if err := w.Purge(1); err != nil {
		t.Fatal(err)
	}
	if got, want := segmentFiles(t, dir), before[covering-1:]; !cmp.Equal(got, want) {
		t.Errorf("segments after Purge = %v, want %v", got, want)
	}
}

func TestRetentionCallOrder(t *testing.T) {
	w, dir := retentionFixture(t, 0)
	mustClose(t, w)
	if err := w.ReleaseTo(1); !errors.Is(err, ErrClosed) {
		t.Errorf("ReleaseTo() after Close error = %v, want ErrClosed", err)
	}
	w, err := Open(dir, Snapshot{}, testOptions(t, 1024))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Purge(1); !errors.Is(err, ErrNotRead) {
		t.Errorf("Purge() before ReadAll error = %v, want ErrNotRead", err)
	}
}

func TestOpenRemovesStaleSpares(t *testing.T) {
	w, dir := createWAL(t, 4096, nil)
	spare := filepath.Join(dir, "0.tmp")
	waitFor(t, "spare segment", func() bool { _, err := os.Stat(spare); return err == nil })
	// Simulate a process that died holding its spare: copy it aside and back after Close.
	b, err := os.ReadFile(spare)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	if err := os.WriteFile(filepath.Join(dir, "1.tmp"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err = Open(dir, Snapshot{}, testOptions(t, 4096))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := os.Stat(filepath.Join(dir, "1.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale spare still present after Open (Stat error %v)", err)
	}
}
