package raft

import "sync"

// indexWait lets goroutines wait until the applied index reaches a value.
type indexWait struct {
	mu      sync.Mutex
	applied uint64
	waiters []indexWaiter
}

type indexWaiter struct {
	index uint64
	ch    chan struct{}
}

// closedc is returned to callers whose index is already reached.
var closedc = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// wait returns a channel closed once the applied index is at least index.
func (w *indexWait) wait(index uint64) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if index <= w.applied {
		return closedc
	}
	ch := make(chan struct{})
	w.waiters = append(w.waiters, indexWaiter{index: index, ch: ch})
	return ch
}

// trigger records that everything up to applied has been applied.
func (w *indexWait) trigger(applied uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.applied = applied
	kept := w.waiters[:0]
	for _, x := range w.waiters {
		if x.index <= applied {
			close(x.ch)
		} else {
			kept = append(kept, x)
		}
	}
	clear(w.waiters[len(kept):])
	w.waiters = kept
}
