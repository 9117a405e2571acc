package httpapi

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// storeCollector exposes the store counters under the reference's metric names
// (etcd_debugging_store_*), read from KV.Stats at scrape time.
type storeCollector struct {
	kv       KV
	reads    *prometheus.Desc
	writes   *prometheus.Desc
	expires  *prometheus.Desc
	watchers *prometheus.Desc
}

func newStoreCollector(kv KV) *storeCollector {
	return &storeCollector{
		kv: kv,
		reads: prometheus.NewDesc("etcd_debugging_store_reads_total",
			"Local reads of the v2 store by action, failed ones included.", []string{"action"}, nil),
		writes: prometheus.NewDesc("etcd_debugging_store_writes_total",
			"Applied writes of the v2 store by action, failed ones included.", []string{"action"}, nil),
		expires: prometheus.NewDesc("etcd_debugging_store_expires_total",
			"Keys removed by TTL expiry.", nil, nil),
		watchers: prometheus.NewDesc("etcd_debugging_store_watchers",
			"Watchers currently registered.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.reads
	ch <- c.writes
	ch <- c.expires
	ch <- c.watchers
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.kv.Stats()
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(st.GetsSuccess+st.GetsFail), "get")
	writes := [...]struct {
		action        string
		success, fail uint64
	}{
		{"set", st.SetsSuccess, st.SetsFail},
		{"create", st.CreateSuccess, st.CreateFail},
		{"update", st.UpdateSuccess, st.UpdateFail},
		{"delete", st.DeleteSuccess, st.DeleteFail},
		{"compareAndSwap", st.CompareAndSwapSuccess, st.CompareAndSwapFail},
		{"compareAndDelete", st.CompareAndDeleteSuccess, st.CompareAndDeleteFail},
	}
	for _, w := range writes {
		ch <- prometheus.MustNewConstMetric(c.writes, prometheus.CounterValue, float64(w.success+w.fail), w.action)
	}
	ch <- prometheus.MustNewConstMetric(c.expires, prometheus.CounterValue, float64(st.ExpireCount))
	ch <- prometheus.MustNewConstMetric(c.watchers, prometheus.GaugeValue, float64(st.Watchers))
}

// metrics are the collectors the HTTP layer owns.
type metrics struct {
	watchRequests prometheus.Counter
	healthOK      prometheus.Counter
	healthFailed  prometheus.Counter
}

// registerMetrics registers the store collector and the HTTP layer's counters in reg.
func registerMetrics(reg prometheus.Registerer, kv KV) (*metrics, error) {
	m := &metrics{
		watchRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_debugging_store_watch_requests_total",
			Help: "Watch requests received (new or re-established).",
		}),
		healthOK: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_server_health_success",
			Help: "Successful /health checks.",
		}),
		healthFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_server_health_failures",
			Help: "Failed /health checks.",
		}),
	}
	for _, c := range []prometheus.Collector{newStoreCollector(kv), m.watchRequests, m.healthOK, m.healthFailed} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("%w: register metrics: %w", ErrInvalidConfig, err)
		}
	}
	return m, nil
}
