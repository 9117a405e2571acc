package httpapi

import (
	"errors"
	"net/http"

	"github.com/rs/zerolog/hlog"

	"github.com/etcd2/etcd2/store"
)

// watch serves GET …?wait=true (SPEC §3): headers are flushed at once, then one event
// (or, with stream=true, one line per event, each flushed). There is no server-side
// timeout; the watcher is removed as soon as the client leaves or the server stops.
func (h *keysHandler) watch(w http.ResponseWriter, r *http.Request, kr *keyRequest) {
	h.watchRequests.Inc()
	wa, err := h.kv.Watch(kr.key, kr.recursive, kr.stream, kr.waitIndex)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	defer wa.Remove()

	hd := w.Header()
	hd[hdrContentType] = h.hdr.json
	ih := indexHeaders{
		etcdIndex:     wa.StartIndex(),
		raft:          true,
		raftIndex:     h.srv.CommittedIndex(),
		raftTerm:      h.srv.Term(),
		contentLength: -1,
	}
	ih.set(hd)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		hlog.FromRequest(r).Debug().Err(err).Msg("watch flush failed")
		return
	}

	bp := h.bufs.get()
	defer h.bufs.put(bp)
	events := wa.EventChan()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.donec:
			return
		case ev, ok := <-events:
			if !ok {
				h.watchEnded(r, wa)
				return
			}
			*bp = ev.AppendJSON((*bp)[:0], storePrefix)
			if _, err := w.Write(*bp); err != nil {
				return
			}
			if !kr.stream {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// watchEnded logs why the store ended a watcher. The status line is out already, so the
// response simply ends; clients treat an empty or cut body as "watch again" (SPEC §3.1).
func (h *keysHandler) watchEnded(r *http.Request, wa *store.Watcher) {
	err := wa.Err()
	switch {
	case err == nil:
	case errors.Is(err, store.ErrWatcherOverflow):
		hlog.FromRequest(r).Warn().Err(err).Str("path", r.URL.Path).Msg("evicted watcher")
	default:
		hlog.FromRequest(r).Warn().Err(err).Str("path", r.URL.Path).Msg("watcher ended")
	}
}
