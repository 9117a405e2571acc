package proxy

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a request is dropped, the proxying_error label of etcd_proxy_dropped_total
// (the reference's values).
const (
	dropZeroEndpoints         = "zero_endpoints"
	dropFailedSendingRequest  = "failed_sending_request"
	dropFailedGettingResponse = "failed_getting_response"
)

// metrics are the reference proxy's collectors, with its names and labels.
type metrics struct {
	incoming *prometheus.CounterVec
	handled  *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		incoming: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "etcd", Subsystem: "proxy", Name: "requests_total",
			Help: "Counter requests incoming by method.",
		}, []string{"method"}),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "etcd", Subsystem: "proxy", Name: "handled_total",
			Help: "Counter of requests fully handled (by authoratitave servers)",
		}, []string{"method", "code"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "etcd", Subsystem: "proxy", Name: "dropped_total",
			Help: "Counter of requests dropped on the proxy.",
		}, []string{"method", "proxying_error"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "etcd", Subsystem: "proxy", Name: "handling_duration_seconds",
			Help: "Bucketed histogram of handling time of successful events (non-watches), by method (GET/PUT etc.).",
			// 0.5 ms doubling up to 2.048 s, as the reference.
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 13),
		}, []string{"method"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.incoming, m.handled, m.dropped, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) requestHandled(r *http.Request, status int, started time.Time) {
	m.handled.WithLabelValues(r.Method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(r.Method).Observe(time.Since(started).Seconds())
}

func (m *metrics) requestDropped(r *http.Request, reason string) {
	m.dropped.WithLabelValues(r.Method, reason).Inc()
}
