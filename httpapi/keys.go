package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog/hlog"

	"github.com/etcd2/etcd2/store"
)

// keysHandler serves /v2/keys (SPEC §2, §3).
type keysHandler struct {
	srv     Server
	kv      KV
	clock   func() time.Time
	timeout time.Duration
	maxBody int64
	donec   <-chan struct{}
	hdr     *headers
	bufs    *bufferPool

	watchRequests prometheus.Counter
	auth          *authorizer // nil: no auth
}

const keysMethods = "HEAD,GET,PUT,POST,DELETE"

func (h *keysHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete:
	default:
		methodNotAllowed(w, keysMethods)
		return
	}
	h.hdr.setClusterID(w.Header(), h.srv.ClusterID())
	kr, err := parseKeyRequest(r, h.maxBody)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	// Access is checked after the parameters, on the path as sent (SPEC §6).
	if !h.auth.keyAccess(r, strings.TrimPrefix(r.URL.Path, keysPrefix), kr.recursive) {
		h.writeError(w, r, errNoKeyAuth())
		return
	}
	switch {
	case r.Method == http.MethodGet && kr.quorum:
		// quorum wins over wait, as in the reference (a quorum GET never watches).
		h.quorumGet(w, r, &kr)
	case r.Method == http.MethodGet && kr.wait:
		h.watch(w, r, &kr)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		h.get(w, r, &kr)
	default:
		h.write(w, r, &kr)
	}
}

// get serves a local read: the body is encoded straight from the tree into a pooled buffer.
func (h *keysHandler) get(w http.ResponseWriter, r *http.Request, kr *keyRequest) {
	bp := h.bufs.get()
	defer h.bufs.put(bp)
	body, index, err := h.kv.AppendGetJSON((*bp)[:0], kr.key, kr.recursive, kr.sorted, storePrefix)
	*bp = body
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeBody(w, r, http.StatusOK, index, body)
}

// quorumGet makes the local store catch up with everything committed, then reads.
func (h *keysHandler) quorumGet(w http.ResponseWriter, r *http.Request, kr *keyRequest) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	err := h.srv.LinearizableRead(ctx)
	cancel()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.get(w, r, kr)
}

// write proposes the request's command and answers with its event.
func (h *keysHandler) write(w http.ResponseWriter, r *http.Request, kr *keyRequest) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	ev, err := h.srv.Do(ctx, kr.command(h.clock()))
	cancel()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if ev.IsCreated() {
		status = http.StatusCreated
	}
	bp := h.bufs.get()
	defer h.bufs.put(bp)
	if kr.noValueOnSuccess && hidesValue(ev.Action) {
		*bp = ev.AppendJSONNoValue((*bp)[:0])
	} else {
		*bp = ev.AppendJSON((*bp)[:0], storePrefix)
	}
	h.writeBody(w, r, status, ev.EtcdIndex, *bp)
}

// hidesValue reports whether noValueOnSuccess trims the body of an event with action a:
// writes that store a value do, delete and compareAndDelete do not (SPEC §2.5).
func hidesValue(a store.Action) bool {
	switch a {
	case store.ActionSet, store.ActionCreate, store.ActionUpdate, store.ActionCompareAndSwap:
		return true
	}
	return false
}

// writeBody writes a successful keys response with all its headers.
func (h *keysHandler) writeBody(w http.ResponseWriter, r *http.Request, status int, etcdIndex uint64, body []byte) {
	hd := w.Header()
	hd[hdrContentType] = h.hdr.json
	ih := indexHeaders{
		etcdIndex:     etcdIndex,
		raft:          true,
		raftIndex:     h.srv.CommittedIndex(),
		raftTerm:      h.srv.Term(),
		contentLength: len(body),
	}
	ih.set(hd)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// writeError writes a keys error: the etcd error shape, X-Etcd-Index, no raft headers
// (SPEC §2.10). Store causes lose the store prefix.
func (h *keysHandler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	se, status, answer := keyError(r, err)
	if !answer {
		hlog.FromRequest(r).Debug().Err(err).Msg("client left")
		return
	}
	if se.Code == store.CodeRaftInternal {
		hlog.FromRequest(r).Warn().Err(err).Msg("replication failed")
	}
	bp := h.bufs.get()
	defer h.bufs.put(bp)
	*bp = se.AppendJSONTrim((*bp)[:0], storePrefix)
	hd := w.Header()
	hd[hdrContentType] = h.hdr.json
	ih := indexHeaders{etcdIndex: se.Index, contentLength: len(*bp)}
	ih.set(hd)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(*bp)
	}
}
