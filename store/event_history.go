package store

import "strconv"

// eventHistory is a ring of the most recent events (SPEC §3.3). Every index the store
// spends makes exactly one event, so the retained events have consecutive indexes and the
// event for index i sits at offset i-oldest.
type eventHistory struct {
	ring  []*Event
	first int // ring position of the oldest event
	n     int // number of retained events
}

func newEventHistory(capacity int) *eventHistory {
	return &eventHistory{ring: make([]*Event, capacity)}
}

func (h *eventHistory) add(e *Event) {
	if h.n < len(h.ring) {
		h.ring[(h.first+h.n)%len(h.ring)] = e
		h.n++
		return
	}
	h.ring[h.first] = e
	h.first = (h.first + 1) % len(h.ring)
}

// at returns the i-th oldest retained event.
func (h *eventHistory) at(i int) *Event { return h.ring[(h.first+i)%len(h.ring)] }

// oldestIndex returns the index of the oldest retained event, 0 when there is none.
func (h *eventHistory) oldestIndex() uint64 {
	if h.n == 0 {
		return 0
	}
	return h.at(0).Index()
}

// replay calls visit, in index order, for each retained event at or after since that a
// watcher on key would be sent from history, until visit returns false. It fails with 401
// when since is older than the oldest retained event (SPEC §3.1); index is the store index
// that error reports.
func (h *eventHistory) replay(key string, recursive bool, since, index uint64, visit func(*Event) bool) error {
	oldest := h.oldestIndex()
	if since < oldest {
		cause := "the requested history has been cleared [" + strconv.FormatUint(oldest, 10) + "/" + strconv.FormatUint(since, 10) + "]"
		return NewError(CodeEventIndexCleared, cause, index)
	}
	if h.n == 0 || since > h.at(h.n-1).Index() {
		return nil
	}
	for i := int(since - oldest); i < h.n; i++ {
		if e := h.at(i); replayMatches(e, key, recursive) && !visit(e) {
			return nil
		}
	}
	return nil
}

// replayMatches is the history matching rule (SPEC §3.2): the watched key itself; with
// recursive, any key below it — [QUIRK, copied] without the hidden filter of live delivery
// (SPEC §2.7); and the deletion or expiry of a directory that contains the watched key,
// whether or not a node existed there. Refresh events never match (SPEC §2.9).
//
// The reference tests the last case with a bare string prefix, so a watcher on /dfoo also
// replays the deletion of /d; we require a whole-component prefix.
func replayMatches(e *Event, key string, recursive bool) bool {
	if e.Refresh {
		return false
	}
	k := e.Node.Key
	if k == key || recursive && isInside(k, key) {
		return true
	}
	return (e.Action == ActionDelete || e.Action == ActionExpire) && e.PrevNode != nil && e.PrevNode.Dir && isInside(key, k)
}
