package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog/hlog"
)

// basicHandler serves /version and /health (SPEC §5).
type basicHandler struct {
	srv          Server
	version      string
	hdr          *headers
	healthOK     prometheus.Counter
	healthFailed prometheus.Counter
}

// healthTimeout is how long /health waits for its quorum read, as in the reference.
const healthTimeout = time.Second

func (h *basicHandler) serveVersion(w http.ResponseWriter, r *http.Request) {
	cv := h.srv.ClusterVersion()
	if cv == "" {
		cv = "not_decided"
	}
	body, _ := json.Marshal(struct {
		Server  string `json:"etcdserver"`
		Cluster string `json:"etcdcluster"`
	}{h.version, cv}) // strings always marshal
	w.Header()[hdrContentType] = h.hdr.json
	_, _ = w.Write(body)
}

// serveHealth answers 200 {"health":"true"} (no newline) when there is a leader and a
// quorum read completes within a second, else 503 {"health":"false"} with a newline, both
// as text/plain like the reference.
func (h *basicHandler) serveHealth(w http.ResponseWriter, r *http.Request) {
	if err := h.check(r.Context()); err != nil {
		h.healthFailed.Inc()
		hlog.FromRequest(r).Warn().Err(err).Msg("health check failed")
		http.Error(w, `{"health":"false"}`, http.StatusServiceUnavailable)
		return
	}
	h.healthOK.Inc()
	w.Header()[hdrContentType] = h.hdr.text
	_, _ = w.Write([]byte(`{"health":"true"}`))
}

// errNoLeader is why a member without a leader is unhealthy.
var errNoLeader = errors.New("httpapi: no leader")

func (h *basicHandler) check(ctx context.Context) error {
	if h.srv.Leader() == 0 {
		return errNoLeader
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	return h.srv.LinearizableRead(ctx)
}
