package wal

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

var update = flag.Bool("update", false, "rewrite the seed corpus in testdata/fuzz")

// FuzzDecode feeds arbitrary bytes to the segment reader, as the first segment and as a
// continuation: it must never panic, and must stop either cleanly, at a torn tail, or
// with a one-line *CorruptionError.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, chained := range []bool{false, true} {
			rp := replay{entries: true}
			end, _, err := readSegment("seg.wal", bytes.NewReader(data), int64(len(data)), 0, chained, &rp)
			if end < 0 || end > int64(len(data)) || end%frameAlign != 0 {
				t.Fatalf("readSegment() stopped at offset %d of %d", end, len(data))
			}
			if err == nil || errors.Is(err, errTorn) {
				continue
			}
			var ce *CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("readSegment() error = %#v, want a *CorruptionError", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error text spans lines: %q", err)
			}
		}
	})
}

// FuzzDecodeSnapshot feeds arbitrary bytes to the snapshot file decoder.
func FuzzDecodeSnapshot(f *testing.F) {
	b, err := encodeSnapFile(&raftpb.Snapshot{Data: []byte("tree"), Metadata: raftpb.SnapshotMetadata{Index: 3, Term: 1}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:snapHeaderSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := decodeSnapFile(data); err != nil && !errors.Is(err, ErrSnapshotCorrupt) {
			t.Fatalf("decodeSnapFile() error = %v, want ErrSnapshotCorrupt", err)
		}
	})
}

type fuzzSeed struct {
	name string
	data []byte
}

// fuzzSeeds builds segments: well formed, with a zero tail, torn, and damaged.
func fuzzSeeds(tb testing.TB) []fuzzSeed {
	var buf sliceWriter
	enc := encoder{w: &buf}
	enc.encodeCRC()
	if err := enc.encodeBytes(metadataType, []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2}); err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries(1, 3, 1, 37) {
		if err := enc.encodeEntry(&e); err != nil {
			tb.Fatal(err)
		}
	}
	if err := enc.encodeState(&raftpb.HardState{Term: 1, Vote: 1, Commit: 3}); err != nil {
		tb.Fatal(err)
	}
	enc.encodeSnapshot(Snapshot{Index: 2, Term: 1})
	if err := enc.flush(); err != nil {
		tb.Fatal(err)
	}
	good := []byte(buf)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x08
	return []fuzzSeed{
		{"good", good},
		{"zero-tail", append(bytes.Clone(good), make([]byte, 1024)...)},
		{"torn", good[:len(good)-13]},
		{"flipped", flipped},
		{"stray-after-end", append(append(bytes.Clone(good), make([]byte, 64)...), 0xff)},
		{"header-only", good[:headerSize]},
		{"empty", nil},
	}
}

// TestFuzzSeedCorpus keeps testdata/fuzz/FuzzDecode equal to fuzzSeeds (go test -update
// rewrites it).
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for _, s := range fuzzSeeds(t) {
		path := filepath.Join(dir, s.name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.data)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("seed %s missing (run go test ./wal -run TestFuzzSeedCorpus -update): %v", s.name, err)
		}
		if string(got) != want {
			t.Errorf("seed %s is stale (run go test ./wal -run TestFuzzSeedCorpus -update)", s.name)
		}
	}
}
