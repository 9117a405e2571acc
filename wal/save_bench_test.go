package wal

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"
)

// BenchmarkSave appends entries the way raft's Ready loop does: a batch of entries plus a
// hard state per Save, synced or not. SetBytes counts entry data, so MB/s is payload
// throughput; ns/entry shows how batching spreads one fdatasync over many entries.
func BenchmarkSave(b *testing.B) {
	modes := []struct {
		name  string
		batch int
		sync  bool
	}{
		{"nosync", 1, false},
		{"sync", 1, true},
		{"batch64-sync", 64, true},
	}
	for _, m := range modes {
		for _, size := range []int{64, 256, 1024} {
			b.Run(fmt.Sprintf("%s/%dB", m.name, size), func(b *testing.B) {
				w, err := Create(filepath.Join(b.TempDir(), "wal"), []byte("member"), Options{Logger: zerolog.Nop()})
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				ents := entries(1, uint64(m.batch), 1, size)
				var index uint64
				b.ReportAllocs()
				b.SetBytes(int64(size * m.batch))
				for b.Loop() {
					for i := range ents {
						index++
						ents[i].Index = index
					}
					if err := w.Save(raftpb.HardState{Term: 1, Vote: 1, Commit: index}, ents, m.sync); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m.batch), "ns/entry")
			})
		}
	}
}
