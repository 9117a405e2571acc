package raft

import (
	"sync"

	"github.com/etcd2/etcd2/store"
)

// result is what applying one proposal produced.
type result struct {
	ev  *store.Event
	err error
}

// waitShards spreads waiters over several maps so that many concurrent clients do not
// serialize on one mutex.
const waitShards = 64

// waitRegistry maps request IDs to the channel their caller waits on. Triggering an ID
// nobody waits for is a no-op: entries proposed by other members, replayed after a restart,
// or abandoned by a caller whose context ended all look like that.
type waitRegistry struct {
	shards [waitShards]struct {
		mu sync.Mutex
		m  map[uint64]chan result
	}
}

func newWaitRegistry() *waitRegistry {
	w := &waitRegistry{}
	for i := range w.shards {
		w.shards[i].m = make(map[uint64]chan result)
	}
	return w
}

// register returns the channel on which the result for id will be delivered.
func (w *waitRegistry) register(id uint64) <-chan result {
	ch := make(chan result, 1)
	sh := &w.shards[id%waitShards]
	sh.mu.Lock()
	sh.m[id] = ch
	sh.mu.Unlock()
	return ch
}

// trigger delivers r to the waiter of id, if any, and forgets it.
func (w *waitRegistry) trigger(id uint64, r result) {
	sh := &w.shards[id%waitShards]
	sh.mu.Lock()
	ch, ok := sh.m[id]
	delete(sh.m, id)
	sh.mu.Unlock()
	if ok {
		ch <- r // buffered: never blocks the applier
	}
}

// cancel forgets id without delivering anything.
func (w *waitRegistry) cancel(id uint64) {
	sh := &w.shards[id%waitShards]
	sh.mu.Lock()
	delete(sh.m, id)
	sh.mu.Unlock()
}

// len reports how many callers are waiting (for tests and metrics).
func (w *waitRegistry) len() int {
	n := 0
	for i := range w.shards {
		sh := &w.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
