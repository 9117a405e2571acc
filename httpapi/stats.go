package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// statsHandler serves /v2/stats/* and /v2/machines (SPEC §5). Stats bodies have no
// trailing newline.
type statsHandler struct {
	srv  Server
	kv   KV
	hdr  *headers
	bufs *bufferPool
}

func (h *statsHandler) self(w http.ResponseWriter, r *http.Request) {
	w.Header()[hdrContentType] = h.hdr.json
	_, _ = w.Write(h.srv.SelfStats())
}

func (h *statsHandler) leader(w http.ResponseWriter, r *http.Request) {
	body, ok := h.srv.LeaderStats()
	if !ok {
		writeMessage(w, http.StatusForbidden, "not current leader")
		return
	}
	w.Header()[hdrContentType] = h.hdr.json
	_, _ = w.Write(body)
}

func (h *statsHandler) store(w http.ResponseWriter, r *http.Request) {
	st := h.kv.Stats()
	bp := h.bufs.get()
	defer h.bufs.put(bp)
	*bp = st.AppendJSON((*bp)[:0])
	w.Header()[hdrContentType] = h.hdr.json
	_, _ = w.Write(*bp)
}

// machines lists every member's client URLs, sorted, joined by ", ", as plain text.
func (h *statsHandler) machines(w http.ResponseWriter, r *http.Request) {
	var urls []string
	for _, m := range h.srv.Members() {
		urls = append(urls, m.ClientURLs...)
	}
	slices.Sort(urls)
	w.Header()[hdrContentType] = h.hdr.text
	_, _ = w.Write([]byte(strings.Join(urls, ", ")))
}
