package service

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the original service's per-endpoint request counters.
type metrics struct {
	newRequests, tokenRequests, healthRequests *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"code", "method"})
	}
	m := &metrics{
		newRequests:    counter("endpoint_new_requests_total", "How many /new requests processed, partitioned by status code and HTTP method."),
		tokenRequests:  counter("endpoint_token_requests_total", "How many /token requests processed, partitioned by status code and HTTP method."),
		healthRequests: counter("endpoint_health_requests_total", "How many /health requests processed, partitioned by status code and HTTP method."),
	}
	for _, c := range []prometheus.Collector{m.newRequests, m.tokenRequests, m.healthRequests} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// count counts every response of the wrapped handler by status and method. The wrapper
// keeps http.Flusher, which streamed watches need.
func (m *metrics) count(c *prometheus.CounterVec) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			defer func() {
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				c.WithLabelValues(strconv.Itoa(status), r.Method).Inc()
			}()
			next.ServeHTTP(ww, r)
		})
	}
}
