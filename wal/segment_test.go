package wal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/raft/v3/raftpb"
)

func TestSegmentNames(t *testing.T) {
	tests := []struct {
		name   string
		want   segment
		wantOK bool
	}{
		{"0000000000000000-0000000000000000.wal", segment{}, true},
		{"000000000000000a-00000000000000ff.wal", segment{seq: 10, index: 255}, true},
		{"ffffffffffffffff-ffffffffffffffff.wal", segment{seq: 1<<64 - 1, index: 1<<64 - 1}, true},
		{"000000000000000A-0000000000000000.wal", segment{}, false},
		{"0000000000000000-0000000000000000.wal.broken", segment{}, false},
		{"0000000000000000-000000000000000.wal", segment{}, false},
		{"0000000000000000_0000000000000000.wal", segment{}, false},
		{"+000000000000000-0000000000000000.wal", segment{}, false},
		{"0.tmp", segment{}, false},
	}
	for _, tt := range tests {
		got, ok := parseSegmentName(tt.name)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseSegmentName(%q) = %v, %v, want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
		if ok && got.name() != tt.name {
			t.Errorf("segment%v.name() = %q, want %q", got, got.name(), tt.name)
		}
	}
}

func TestListSegmentsRefusesHoles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"0000000000000000-0000000000000000.wal", "0000000000000002-0000000000000009.wal"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := listSegments(dir); !errors.Is(err, ErrMissingSegment) {
		t.Errorf("listSegments() error = %v, want ErrMissingSegment", err)
	}
}

// TestMultiSegment cuts many small segments and checks their names, that finished
// segments end at their last record, and that the log reads back from the start or
// from a snapshot in a later segment.
func TestMultiSegment(t *testing.T) {
	const segSize = 4096
	w, dir := createWAL(t, segSize, []byte("meta"))
	var all []raftpb.Entry
	for i := uint64(1); i <= 200; i++ {
		ents := entries(i, i, 1, 100)
		mustSave(t, w, raftpb.HardState{Term: 1, Commit: i}, ents)
		all = append(all, ents...)
		if i == 150 {
			if err := w.SaveSnapshot(Snapshot{Index: 150, Term: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustClose(t, w)

	names := segmentFiles(t, dir)
	if len(names) < 5 {
		t.Fatalf("got %d segments, want at least 5", len(names))
	}
	for i, name := range names {
		seg, _ := parseSegmentName(name)
		path := filepath.Join(dir, name)
		fr := frames(t, path)
		if fr[0].typ != crcType || fr[1].typ != metadataType {
			t.Errorf("%s starts with types %d, %d, want crc, metadata", name, fr[0].typ, fr[1].typ)
		}
		if i > 0 && fr[2].typ != stateType {
			t.Errorf("%s: third record type %d, want the repeated hard state", name, fr[2].typ)
		}
		for _, f := range fr {
			// The first segment is named 0 by convention; a cut names its segment after
			// the entry that follows.
			if f.typ == entryType && i > 0 {
				if first := firstEntryIndex(t, path); first != seg.index {
					t.Errorf("%s: first entry index %d, want %d", name, first, seg.index)
				}
				break
			}
		}
		end := fr[len(fr)-1].off + fr[len(fr)-1].size
		if size := fileSize(t, path); i < len(names)-1 && size != end {
			t.Errorf("finished segment %s has size %d, want %d (its last record's end)", name, size, end)
		}
	}

	w1, meta, hs, ents, err := reopen(t, dir, Snapshot{}, segSize)
	if err != nil {
		t.Fatalf("ReadAll() error = %v", err)
	}
	mustClose(t, w1)
	if string(meta) != "meta" || hs.Commit != 200 {
		t.Errorf("ReadAll() metadata %q, commit %d, want %q, 200", meta, hs.Commit, "meta")
	}
	if diff := cmp.Diff(all, ents, cmpBytes); diff != "" {
		t.Errorf("entries differ (-want +got):\n%s", diff)
	}

	w2, meta, _, ents, err := reopen(t, dir, Snapshot{Index: 150, Term: 1}, segSize)
	if err != nil {
		t.Fatalf("ReadAll() from snapshot error = %v", err)
	}
	if string(meta) != "meta" {
		t.Errorf("metadata from a later segment = %q, want %q", meta, "meta")
	}
	if diff := cmp.Diff(all[150:], ents, cmpBytes); diff != "" {
		t.Errorf("entries after snapshot differ (-want +got):\n%s", diff)
	}
	if w2.start == 0 {
		t.Errorf("Open at index 150 started at the first segment, want a later one")
	}
}

func firstEntryIndex(t *testing.T, path string) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(path, bytesReader(b), int64(len(b)), 0, false)
	for {
		rec, err := d.next()
		if err != nil {
			t.Fatalf("no entry in %s: %v", path, err)
		}
		if rec.typ == entryType {
			var e raftpb.Entry
			if err := e.Unmarshal(rec.data); err != nil {
				t.Fatal(err)
			}
			return e.Index
		}
	}
}

// TestCRCChainAcrossSegments changes the chain value a segment's crc record carries in.
// The segment's own records still check out against it, so only the chain catches it.
func TestCRCChainAcrossSegments(t *testing.T) {
	const segSize = 2048
	w, dir := createWAL(t, segSize, nil)
	for i := uint64(1); i <= 60; i++ {
		mustSave(t, w, raftpb.HardState{Term: 1, Commit: i}, entries(i, i, 1, 100))
	}
	mustClose(t, w)
	names := segmentFiles(t, dir)
	if len(names) < 3 {
		t.Fatalf("got %d segments, want at least 3", len(names))
	}
	victim := filepath.Join(dir, names[1])
	rewriteChain(t, victim, 0x12345678)
	_, _, _, _, err := reopen(t, dir, Snapshot{}, segSize)
	want := "wal: crc mismatch in " + victim + " at offset 0: segment does not continue the previous one"
	if !errors.Is(err, ErrCRCMismatch) || err.Error() != want {
		t.Errorf("ReadAll() error = %v, want %q", err, want)
	}
}
