package wal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"
)

func newTestSnapshotter(t *testing.T) (*Snapshotter, string) {
	dir := t.TempDir()
	return NewSnapshotter(dir, zerolog.New(zerolog.NewTestWriter(t))), dir
}

func testSnap(term, index uint64, size int) raftpb.Snapshot {
	return raftpb.Snapshot{
		Data: bytes.Repeat([]byte{byte(index)}, size),
		Metadata: raftpb.SnapshotMetadata{
			Term:      term,
			Index:     index,
			ConfState: raftpb.ConfState{Voters: []uint64{1, 2, 3}},
		},
	}
}

func snapFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestSnapshotterRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		snap raftpb.Snapshot
	}{
		{"no data", testSnap(1, 1, 0)},
		{"small", testSnap(2, 10, 100)},
		{"large", testSnap(3, 1000, 4<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newTestSnapshotter(t)
			if err := s.SaveSnap(tt.snap); err != nil {
				t.Fatalf("SaveSnap() error = %v", err)
			}
			name := snapName(tt.snap.Metadata.Term, tt.snap.Metadata.Index)
			if got := snapFiles(t, dir); !cmp.Equal(got, []string{name}) {
				t.Errorf("files = %v, want [%s]", got, name)
			}
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || fi.Mode().Perm() != fileMode {
				t.Errorf("Stat(%s) = %v, %v, want mode %v", name, fi.Mode(), err, os.FileMode(fileMode))
			}
			got, err := s.Load()
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if diff := cmp.Diff(tt.snap, *got, cmpBytes); diff != "" {
				t.Errorf("Load() differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSnapshotterNothingToLoad(t *testing.T) {
	s, dir := newTestSnapshotter(t)
	if err := s.SaveSnap(raftpb.Snapshot{Data: []byte("ignored")}); err != nil {
		t.Fatalf("SaveSnap(empty) error = %v", err)
	}
	if got := snapFiles(t, dir); len(got) != 0 {
		t.Errorf("SaveSnap(empty) wrote %v", got)
	}
	if _, err := s.Load(); !errors.Is(err, ErrNoSnapshot) {
		t.Errorf("Load() in an empty dir error = %v, want ErrNoSnapshot", err)
	}
	missing := NewSnapshotter(filepath.Join(dir, "missing"), zerolog.Nop())
	if _, err := missing.Load(); !errors.Is(err, ErrNoSnapshot) {
		t.Errorf("Load() in a missing dir error = %v, want ErrNoSnapshot", err)
	}
}

func TestSnapshotterFallsBackFromBrokenNewest(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"truncated", func(t *testing.T, path string) { truncate(t, path, fileSize(t, path)-10) }},
		{"truncated inside the header", func(t *testing.T, path string) { truncate(t, path, 10) }},
		{"empty", func(t *testing.T, path string) { truncate(t, path, 0) }},
		{"flipped data byte", func(t *testing.T, path string) { flip(t, path, fileSize(t, path)-3, 0x20) }},
		{"flipped crc byte", func(t *testing.T, path string) { flip(t, path, 13, 0x01) }},
		{"bad magic", func(t *testing.T, path string) { flip(t, path, 0, 0x01) }},
		{"unknown version", func(t *testing.T, path string) { flip(t, path, 8, 0x02) }},
		{"trailing bytes", func(t *testing.T, path string) { write(t, path, fileSize(t, path), []byte{0}) }},
		{"content of another snapshot", func(t *testing.T, path string) {
			b, err := encodeSnapFile(&raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Term: 9, Index: 9}})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newTestSnapshotter(t)
			older, newest := testSnap(1, 10, 2000), testSnap(2, 20, 2000)
			for _, snap := range []raftpb.Snapshot{older, newest} {
				if err := s.SaveSnap(snap); err != nil {
					t.Fatal(err)
				}
			}
			newestPath := filepath.Join(dir, snapName(2, 20))
			tt.damage(t, newestPath)
			got, err := s.Load()
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if got.Metadata.Index != 10 {
				t.Errorf("Load() index = %d, want the older snapshot's 10", got.Metadata.Index)
			}
			want := []string{snapName(1, 10), snapName(2, 20) + brokenSuffix}
			if files := snapFiles(t, dir); !cmp.Equal(files, want) {
				t.Errorf("files = %v, want %v", files, want)
			}
		})
	}
}

func TestSnapshotterAllBroken(t *testing.T) {
	s, dir := newTestSnapshotter(t)
	if err := s.SaveSnap(testSnap(1, 5, 10)); err != nil {
		t.Fatal(err)
	}
	truncate(t, filepath.Join(dir, snapName(1, 5)), 3)
	if _, err := s.Load(); !errors.Is(err, ErrNoSnapshot) {
		t.Errorf("Load() error = %v, want ErrNoSnapshot", err)
	}
}

// TestLoadNewestAvailable covers a member that stopped between writing a snapshot file
// and its WAL marker: the file without a marker is skipped, not deleted.
func TestLoadNewestAvailable(t *testing.T) {
	tests := []struct {
		name      string
		walSnaps  []Snapshot
		wantIndex uint64
		wantErr   error
	}{
		{"newest has a marker", []Snapshot{{Index: 10, Term: 1}, {Index: 20, Term: 2}, {Index: 30, Term: 2}}, 30, nil},
		{"newest lacks its marker", []Snapshot{{Index: 10, Term: 1}, {Index: 20, Term: 2}}, 20, nil},
		{"term differs", []Snapshot{{Index: 10, Term: 1}, {Index: 30, Term: 3}}, 10, nil},
		{"no marker at all", nil, 0, ErrNoSnapshot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newTestSnapshotter(t)
			for _, snap := range []raftpb.Snapshot{testSnap(1, 10, 10), testSnap(2, 20, 10), testSnap(2, 30, 10)} {
				if err := s.SaveSnap(snap); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.LoadNewestAvailable(tt.walSnaps)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LoadNewestAvailable() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.Metadata.Index != tt.wantIndex {
				t.Errorf("LoadNewestAvailable() index = %d, want %d", got.Metadata.Index, tt.wantIndex)
			}
			if files := snapFiles(t, dir); len(files) != 3 {
				t.Errorf("files = %v, want the three snapshots untouched", files)
			}
		})
	}
}

// TestSnapshotWithWAL runs the recovery sequence our raft package uses: the WAL's
// markers select the snapshot file, and the WAL replays from it.
func TestSnapshotWithWAL(t *testing.T) {
	w, walDir := createWAL(t, 2048, []byte("m"))
	s, _ := newTestSnapshotter(t)
	for i := uint64(1); i <= 40; i++ {
		mustSave(t, w, raftpb.HardState{Term: 1, Commit: i}, entries(i, i, 1, 100))
		if i%10 == 0 {
			snap := testSnap(1, i, 50)
			if err := s.SaveSnap(snap); err != nil {
				t.Fatal(err)
			}
			if i == 40 {
				break // stopped between the snapshot file and its marker
			}
			if err := w.SaveSnapshot(Snapshot{Index: i, Term: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustClose(t, w)
	walSnaps, err := ValidSnapshotEntries(walDir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.LoadNewestAvailable(walSnaps)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Metadata.Index != 30 {
		t.Fatalf("LoadNewestAvailable() index = %d, want 30", snap.Metadata.Index)
	}
	_, _, hs, ents, err := reopen(t, walDir, Snapshot{Index: 30, Term: 1}, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(entries(31, 40, 1, 100), ents, cmpBytes); diff != "" || hs.Commit != 40 {
		t.Errorf("replay after snapshot: commit %d, entries differ (-want +got):\n%s", hs.Commit, diff)
	}
}

func TestSnapshotterPurge(t *testing.T) {
	tests := []struct {
		name     string
		maxFiles int
		want     []uint64 // indexes left
	}{
		{"keep all", 0, []uint64{1, 2, 3, 4, 5}},
		{"keep two", 2, []uint64{4, 5}},
		{"keep more than exist", 9, []uint64{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newTestSnapshotter(t)
			for i := uint64(1); i <= 5; i++ {
				if err := s.SaveSnap(testSnap(1, i, 10)); err != nil {
					t.Fatal(err)
				}
			}
			leftover := filepath.Join(dir, snapName(1, 6)+spareSuffix)
			if err := os.WriteFile(leftover, []byte("half"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := s.Purge(tt.maxFiles); err != nil {
				t.Fatalf("Purge(%d) error = %v", tt.maxFiles, err)
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, snapName(1, i))
			}
			if got := snapFiles(t, dir); !cmp.Equal(got, want) {
				t.Errorf("files after Purge(%d) = %v, want %v", tt.maxFiles, got, want)
			}
			got, err := s.Load()
			if err != nil || got.Metadata.Index != 5 {
				t.Errorf("Load() after Purge = %v, %v, want index 5", got, err)
			}
		})
	}
}

func TestSnapNames(t *testing.T) {
	tests := []struct {
		name              string
		wantTerm, wantIdx uint64
		wantOK            bool
	}{
		{"0000000000000002-0000000000000010.snap", 2, 16, true},
		{"0000000000000002-0000000000000010.snap.broken", 0, 0, false},
		{"0000000000000002-0000000000000010.snap.tmp", 0, 0, false},
		{"0000000000000002-000000000000001G.snap", 0, 0, false},
		{"2-10.snap", 0, 0, false},
	}
	for _, tt := range tests {
		term, idx, ok := parseSnapName(tt.name)
		if term != tt.wantTerm || idx != tt.wantIdx || ok != tt.wantOK {
			t.Errorf("parseSnapName(%q) = %d, %d, %v, want %d, %d, %v", tt.name, term, idx, ok, tt.wantTerm, tt.wantIdx, tt.wantOK)
		}
		if ok && snapName(term, idx) != tt.name {
			t.Errorf("snapName(%d, %d) = %q, want %q", term, idx, snapName(term, idx), tt.name)
		}
	}
	if !slices.IsSorted([]string{snapName(1, 9), snapName(1, 10), snapName(2, 1)}) {
		t.Errorf("snapshot names do not sort by term then index")
	}
}
