package wal

import (
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"
)

// BenchmarkReadAll measures a restart: Open, replay 10 000 entries of 256 bytes (one
// 64 MB segment, so the check of its zero tail is included) and Close.
func BenchmarkReadAll(b *testing.B) {
	const n, size = 10_000, 256
	dir := filepath.Join(b.TempDir(), "wal")
	opts := Options{Logger: zerolog.Nop()}
	w, err := Create(dir, []byte("member"), opts)
	if err != nil {
		b.Fatal(err)
	}
	for i := uint64(1); i <= n; i += 100 {
		if err := w.Save(raftpb.HardState{Term: 1, Commit: i + 99}, entries(i, i+99, 1, size), false); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(n * size)
	for b.Loop() {
		w, err := Open(dir, Snapshot{}, opts)
		if err != nil {
			b.Fatal(err)
		}
		_, _, ents, err := w.ReadAll()
		if err != nil || len(ents) != n {
			b.Fatalf("ReadAll() = %d entries, %v", len(ents), err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
