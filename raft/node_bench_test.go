package raft

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/etcd2/etcd2/store"
)

// BenchmarkDo measures a write through raft with fsync on: propose, WAL, apply, wake the
// caller. With many concurrent callers the entries share fsyncs; entries/fsync reports how
// many.
func BenchmarkDo(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			n := testMember(b, b.TempDir(), nil)
			before := n.Metrics()
			var seq atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N/clients + 1
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						cmd := &store.Command{Op: store.OpSet, Key: fmt.Sprintf("/1/k%d-%d", c, seq.Add(1)%1000), Value: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
						if _, err := n.Do(context.Background(), cmd); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			after := n.Metrics()
			if syncs := after.WALSyncs - before.WALSyncs; syncs > 0 {
				b.ReportMetric(float64(after.WALEntries-before.WALEntries)/float64(syncs), "entries/fsync")
			}
		})
	}
}
