package wal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/raft/v3/raftpb"
)

func TestCreateLayout(t *testing.T) {
	w, dir := createWAL(t, 0, []byte("meta"))
	first := filepath.Join(dir, "0000000000000000-0000000000000000.wal")
	if got := fileSize(t, first); got != DefaultSegmentSize {
		t.Errorf("size of %s = %d, want %d", first, got, DefaultSegmentSize)
	}
	if _, err := os.Stat(dir + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s.tmp) error = %v, want not exist", dir, err)
	}
	spare := filepath.Join(dir, "0.tmp")
	waitFor(t, "spare segment", func() bool {
		fi, err := os.Stat(spare)
		return err == nil && fi.Size() == DefaultSegmentSize
	})
	if !Exist(dir) {
		t.Errorf("Exist(%s) = false, want true", dir)
	}
	if _, err := Create(dir, nil, testOptions(t, 0)); !errors.Is(err, ErrExist) {
		t.Errorf("second Create() error = %v, want ErrExist", err)
	}
	mustClose(t, w)
	if _, err := os.Stat(spare); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("spare after Close: Stat error = %v, want not exist", err)
	}
	if Exist(filepath.Join(t.TempDir(), "none")) {
		t.Errorf("Exist(missing dir) = true, want false")
	}
}

func TestRoundTrip(t *testing.T) {
	type save struct {
		hs   raftpb.HardState
		ents []raftpb.Entry
		sync bool
	}
	tests := []struct {
		name      string
		metadata  []byte
		saves     []save
		wantHS    raftpb.HardState
		wantEnts  []raftpb.Entry
		snapshots []Snapshot
		from      Snapshot
	}{
		{name: "metadata only", metadata: []byte{1, 2, 3}},
		{name: "empty metadata", metadata: nil},
		{
			name:     "entries and state",
			metadata: []byte("member"),
			saves:    []save{{hs: raftpb.HardState{Term: 1, Vote: 2, Commit: 3}, ents: entries(1, 3, 1, 10), sync: true}},
			wantHS:   raftpb.HardState{Term: 1, Vote: 2, Commit: 3},
			wantEnts: entries(1, 3, 1, 10),
		},
		{
			name: "several saves without sync",
			saves: []save{
				{ents: entries(1, 2, 1, 64)},
				{hs: raftpb.HardState{Term: 1, Commit: 2}, ents: entries(3, 5, 1, 64)},
				{hs: raftpb.HardState{Term: 2, Vote: 1, Commit: 5}},
			},
			wantHS:   raftpb.HardState{Term: 2, Vote: 1, Commit: 5},
			wantEnts: entries(1, 5, 1, 64),
		},
		{
			name:     "empty hard state keeps the previous one",
			saves:    []save{{hs: raftpb.HardState{Term: 3, Commit: 1}, ents: entries(1, 1, 3, 1)}, {ents: entries(2, 2, 3, 1)}},
			wantHS:   raftpb.HardState{Term: 3, Commit: 1},
			wantEnts: entries(1, 2, 3, 1),
		},
		{
			name:     "large entry",
			saves:    []save{{ents: entries(1, 2, 1, 3<<20), sync: true}},
			wantEnts: entries(1, 2, 1, 3<<20),
		},
		{
			name:      "from a snapshot",
			saves:     []save{{hs: raftpb.HardState{Term: 1, Commit: 8}, ents: entries(1, 8, 1, 5)}},
			snapshots: []Snapshot{{Index: 5, Term: 1}},
			from:      Snapshot{Index: 5, Term: 1},
			wantHS:    raftpb.HardState{Term: 1, Commit: 8},
			wantEnts:  entries(6, 8, 1, 5),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, dir := createWAL(t, 0, tt.metadata)
			for _, s := range tt.saves {
				if err := w.Save(s.hs, s.ents, s.sync); err != nil {
					t.Fatalf("Save() error = %v", err)
				}
			}
			for _, s := range tt.snapshots {
				if err := w.SaveSnapshot(s); err != nil {
					t.Fatalf("SaveSnapshot(%v) error = %v", s, err)
				}
			}
			mustClose(t, w)
			_, meta, hs, ents, err := reopen(t, dir, tt.from, 0)
			if err != nil {
				t.Fatalf("ReadAll() error = %v", err)
			}
			if diff := cmp.Diff(tt.metadata, meta, cmpBytes); diff != "" {
				t.Errorf("metadata differs (-want +got):\n%s", diff)
			}
			if hs != tt.wantHS {
				t.Errorf("hard state = %+v, want %+v", hs, tt.wantHS)
			}
			if diff := cmp.Diff(tt.wantEnts, ents, cmpBytes); diff != "" {
				t.Errorf("entries differ (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpBytes compares byte slices quickly (cmp walks them element by element otherwise)
// and treats nil and empty alike.
var cmpBytes = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

func TestAppendAfterReopen(t *testing.T) {
	w, dir := createWAL(t, 0, []byte("m"))
	mustSave(t, w, raftpb.HardState{Term: 1, Commit: 1}, entries(1, 3, 1, 20))
	mustClose(t, w)
	for round := uint64(1); round <= 3; round++ {
		w, _, _, ents, err := reopen(t, dir, Snapshot{}, 0)
		if err != nil {
			t.Fatalf("round %d: ReadAll() error = %v", round, err)
		}
		if want := entries(1, 3*round, 1, 20); !cmp.Equal(want, ents, cmpBytes) {
			t.Fatalf("round %d: read %d entries, want %d", round, len(ents), len(want))
		}
		mustSave(t, w, raftpb.HardState{Term: 1, Commit: 3 * round}, entries(3*round+1, 3*round+3, 1, 20))
		mustClose(t, w)
	}
}

func TestRaftLogTruncation(t *testing.T) {
	tests := []struct {
		name    string
		saves   [][]raftpb.Entry
		from    Snapshot
		snap    bool // save a marker for from before the entries
		want    []raftpb.Entry
		wantErr error
	}{
		{
			name:  "overwrite the tail",
			saves: [][]raftpb.Entry{entries(1, 5, 1, 8), entries(3, 4, 2, 8)},
			want:  append(entries(1, 2, 1, 8), entries(3, 4, 2, 8)...),
		},
		{
			name:  "overwrite then extend",
			saves: [][]raftpb.Entry{entries(1, 5, 1, 8), entries(6, 7, 1, 8), entries(4, 4, 3, 8), entries(5, 6, 3, 8)},
			want:  append(entries(1, 3, 1, 8), entries(4, 6, 3, 8)...),
		},
		{
			name:  "overwrite everything",
			saves: [][]raftpb.Entry{entries(1, 5, 1, 8), entries(1, 1, 2, 8)},
			want:  entries(1, 1, 2, 8),
		},
		{
			name:  "overwrites before the snapshot are ignored",
			saves: [][]raftpb.Entry{entries(1, 6, 1, 8), entries(2, 6, 2, 8)},
			from:  Snapshot{Index: 3, Term: 2},
			snap:  true,
			want:  entries(4, 6, 2, 8),
		},
		{
			name:    "gap",
			saves:   [][]raftpb.Entry{entries(1, 3, 1, 8), entries(5, 5, 1, 8)},
			wantErr: ErrCorrupt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, dir := createWAL(t, 0, nil)
			for _, ents := range tt.saves {
				mustSave(t, w, raftpb.HardState{}, ents)
			}
			if tt.snap {
				if err := w.SaveSnapshot(tt.from); err != nil {
					t.Fatal(err)
				}
			}
			mustClose(t, w)
			_, _, _, ents, err := reopen(t, dir, tt.from, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAll() error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, ents, cmpBytes); diff != "" {
				t.Errorf("entries differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenAtSnapshotErrors(t *testing.T) {
	w, dir := createWAL(t, 0, nil)
	mustSave(t, w, raftpb.HardState{Term: 2, Commit: 10}, entries(1, 10, 2, 8))
	if err := w.SaveSnapshot(Snapshot{Index: 5, Term: 2}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	tests := []struct {
		name    string
		from    Snapshot
		wantErr error
	}{
		{"matching marker", Snapshot{Index: 5, Term: 2}, nil},
		{"other term", Snapshot{Index: 5, Term: 3}, ErrSnapshotMismatch},
		{"no marker", Snapshot{Index: 7, Term: 2}, ErrSnapshotNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _, _, _, err := reopen(t, dir, tt.from, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadAll() error = %v, want %v", err, tt.wantErr)
			}
			mustClose(t, w)
		})
	}
}

func TestCallOrder(t *testing.T) {
	w, dir := createWAL(t, 0, nil)
	if _, _, _, err := w.ReadAll(); !errors.Is(err, ErrNotRead) {
		t.Errorf("ReadAll() after Create error = %v, want ErrNotRead", err)
	}
	mustClose(t, w)
	if err := w.Save(raftpb.HardState{Term: 1}, nil, true); !errors.Is(err, ErrClosed) {
		t.Errorf("Save() after Close error = %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close() error = %v, want nil", err)
	}

	w, err := Open(dir, Snapshot{}, testOptions(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Save(raftpb.HardState{Term: 1}, nil, true); !errors.Is(err, ErrNotRead) {
		t.Errorf("Save() before ReadAll error = %v, want ErrNotRead", err)
	}
	if err := w.SaveSnapshot(Snapshot{Index: 1, Term: 1}); !errors.Is(err, ErrNotRead) {
		t.Errorf("SaveSnapshot() before ReadAll error = %v, want ErrNotRead", err)
	}
	if _, _, _, err := w.ReadAll(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := w.ReadAll(); !errors.Is(err, ErrNotRead) {
		t.Errorf("second ReadAll() error = %v, want ErrNotRead", err)
	}
}

func TestOpenMissing(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, Snapshot{}, testOptions(t, 0)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(empty dir) error = %v, want ErrNotFound", err)
	}
	if _, err := Open(filepath.Join(dir, "nope"), Snapshot{}, testOptions(t, 0)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing dir) error = %v, want not exist", err)
	}
}

func TestCreateReplacesEmptyDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "member", "wal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := Create(dir, []byte("x"), testOptions(t, 0))
	if err != nil {
		t.Fatalf("Create(existing empty dir) error = %v", err)
	}
	mustClose(t, w)
	if err := os.WriteFile(filepath.Join(t.TempDir(), "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "wal")
	if err := os.MkdirAll(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(other, nil, testOptions(t, 0)); err == nil {
		t.Errorf("Create(non-empty dir without WAL) error = nil, want an error")
	}
	if _, err := os.Stat(filepath.Join(other, "keep")); err != nil {
		t.Errorf("Create removed a foreign file: %v", err)
	}
	if _, err := os.Stat(other + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed Create left %s.tmp behind", other)
	}
}

func TestCutRenamesSpare(t *testing.T) {
	const segSize = 4096
	w, dir := createWAL(t, segSize, nil)
	exists := func(name string) func() bool {
		return func() bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	}
	waitFor(t, "spare 0.tmp", exists("0.tmp"))
	mustSave(t, w, raftpb.HardState{Term: 1}, entries(1, 1, 1, segSize))
	second := segment{seq: 1, index: 2}.name()
	if got := fileSize(t, filepath.Join(dir, second)); got != segSize {
		t.Errorf("new segment %s has %d bytes, want the spare's preallocated %d", second, got, segSize)
	}
	if exists("0.tmp")() {
		t.Errorf("0.tmp still exists after the cut took it")
	}
	waitFor(t, "next spare 1.tmp", exists("1.tmp"))
}

func TestWritesRefusedAfterWriteFailure(t *testing.T) {
	w, _ := createWAL(t, 0, nil)
	w.tail.Close() // every write now fails as a broken disk would
	if err := w.Save(raftpb.HardState{Term: 1}, entries(1, 1, 1, 8), false); err == nil {
		t.Fatal("Save() on a failing file error = nil")
	}
	err := w.SaveSnapshot(Snapshot{Index: 1, Term: 1})
	if err == nil || !strings.Contains(err.Error(), "earlier failure") {
		t.Errorf("SaveSnapshot() after a failed Save error = %v, want a refusal", err)
	}
}
