package store

import (
	"sync"
	"sync/atomic"
)

// watcherHub holds the live watchers, filed by watched key in intrusive doubly linked
// lists, so that registering and removing one are O(1) and a key without watchers leaves no
// entry behind.
type watcherHub struct {
	mu    sync.Mutex
	lists map[string]*Watcher // head of the list of watchers on each key
	count atomic.Int64        // number of registered watchers
}

func newWatcherHub() *watcherHub {
	return &watcherHub{lists: make(map[string]*Watcher)}
}

func (h *watcherHub) add(w *Watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if head := h.lists[w.key]; head != nil {
		w.next = head
		head.prev = w
	}
	h.lists[w.key] = w
	w.registered = true
	h.count.Add(1)
}

// endLocked ends w with err (idempotent): out of the hub, reason recorded, channel closed.
// The reason is written before the close, so a consumer that sees the close reads it.
func (h *watcherHub) endLocked(w *Watcher, err error) {
	if w.ended {
		return
	}
	w.ended = true
	if w.registered {
		w.registered = false
		if w.prev != nil {
			w.prev.next = w.next
		} else if w.next != nil {
			h.lists[w.key] = w.next
		} else {
			delete(h.lists, w.key)
		}
		if w.next != nil {
			w.next.prev = w.prev
		}
		w.prev, w.next = nil, nil
		h.count.Add(-1)
	}
	w.err = err
	close(w.eventc)
}

// endAll ends every watcher with err (store recovery).
func (h *watcherHub) endAll(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, head := range h.lists {
		for w := head; w != nil; {
			next := w.next
			h.endLocked(w, err)
			w = next
		}
	}
}

// notify delivers a live event (SPEC §3.2). Watchers on the event's key always match;
// recursive watchers on an ancestor match unless a component between them is hidden; and
// when the event removed a directory, every watcher on a node of the removed subtree
// matches, recursive or not. Watchers on keys inside the directory where no node existed are
// not woken (reference behaviour, verified). removed is the detached subtree of a delete or
// expiry, nil otherwise. Each watcher gets the event at most once (the reference sends it
// twice to a stream watcher on the removed key itself).
func (h *watcherHub) notify(e *Event, removed *node) {
	if h.count.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	key := e.Node.Key
	h.deliverLocked(e, "/", key)
	for i := 1; i < len(key); i++ {
		if key[i] == '/' {
			h.deliverLocked(e, key[:i], key)
		}
	}
	if key != "/" {
		h.deliverLocked(e, key, key)
	}
	if removed != nil && removed.dir {
		h.deliverBelowLocked(e, removed)
	}
}

// deliverLocked offers e to the watchers on at, which is key itself or one of its ancestors.
func (h *watcherHub) deliverLocked(e *Event, at, key string) {
	head := h.lists[at]
	if head == nil {
		return
	}
	exact := at == key
	if !exact && isHiddenBelow(at, key) {
		return
	}
	for w := head; w != nil; {
		next := w.next // sending may end and unlink w
		if (exact || w.recursive) && e.Index() >= w.sinceIndex {
			h.sendLocked(w, e)
		}
		w = next
	}
}

// deliverBelowLocked offers e to the watchers on every node below the removed directory d.
func (h *watcherHub) deliverBelowLocked(e *Event, d *node) {
	for _, c := range d.children {
		for w := h.lists[c.path]; w != nil; {
			next := w.next
			if e.Index() >= w.sinceIndex {
				h.sendLocked(w, e)
			}
			w = next
		}
		if c.dir {
			h.deliverBelowLocked(e, c)
		}
	}
}
