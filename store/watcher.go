package store

// Watcher receives the events matching one watch request (SPEC §3). Its channel is closed
// when the watcher ends: after the one event of a one-shot watcher, on Remove, on overflow
// of a stream watcher, or when the store recovers from a snapshot. Err tells which.
type Watcher struct {
	hub        *watcherHub
	key        string
	recursive  bool
	stream     bool
	sinceIndex uint64
	startIndex uint64
	eventc     chan *Event

	// Guarded by hub.mu.
	err        error
	ended      bool
	registered bool
	prev, next *Watcher // the hub's list of watchers on key
}

// EventChan returns the channel events arrive on. It is closed when the watcher ends.
func (w *Watcher) EventChan() <-chan *Event { return w.eventc }

// StartIndex returns the store index when the watcher was registered: the X-Etcd-Index of a
// watch response (SPEC §10.6).
func (w *Watcher) StartIndex() uint64 { return w.startIndex }

// Remove ends the watcher and takes it out of the hub at once. It is idempotent and safe
// to call from any goroutine; events already queued stay readable.
func (w *Watcher) Remove() {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	w.hub.endLocked(w, nil)
}

// Err reports why the channel was closed: nil when the watcher was removed or a one-shot
// watcher got its event, ErrWatcherOverflow when a stream consumer fell more than the
// watcher buffer behind, or an *Error with code 400 when the store recovered from a
// snapshot. It is nil while the watcher is live.
func (w *Watcher) Err() error {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	return w.err
}

// sendLocked queues e for w. It never blocks the applier: a full stream watcher is ended
// with ErrWatcherOverflow instead, so its consumer learns that it missed events. A one-shot
// watcher ends after its event.
func (h *watcherHub) sendLocked(w *Watcher, e *Event) {
	if w.ended {
		return
	}
	select {
	case w.eventc <- e:
		if !w.stream {
			h.endLocked(w, nil)
		}
	default:
		h.endLocked(w, ErrWatcherOverflow)
	}
}
