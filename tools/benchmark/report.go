package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// report is the result of one scenario as printed: text by default, JSON with --json.
// Durations are in milliseconds, CPU per request in microseconds, memory in bytes.
type report struct {
	Scenario   string               `json:"scenario"`
	Endpoints  []string             `json:"endpoints"`
	Clients    int                  `json:"clients,omitempty"`
	Requests   int64                `json:"requests"`
	Errors     int64                `json:"errors"`
	FirstError string               `json:"first_error,omitempty"`
	ElapsedSec float64              `json:"elapsed_s"`
	QPS        float64              `json:"qps"`
	Latency    latencySummary       `json:"latency"`
	Ops        map[string]opSummary `json:"ops,omitempty"`
	Server     *procReport          `json:"server,omitempty"`
	Client     *procReport          `json:"client,omitempty"`
	Watch      *watchReport         `json:"watch,omitempty"`
	Fill       *fillReport          `json:"fill,omitempty"`
	Restart    *restartReport       `json:"restart,omitempty"`
	Failover   *failoverReport      `json:"failover,omitempty"`
}

// latencySummary condenses a histogram.
type latencySummary struct {
	Count  uint64  `json:"count"`
	P50ms  float64 `json:"p50_ms"`
	P90ms  float64 `json:"p90_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

// opSummary is one operation's share of a mixed run.
type opSummary struct {
	Requests uint64         `json:"requests"`
	QPS      float64        `json:"qps"`
	Latency  latencySummary `json:"latency"`
}

// procReport is what /proc told about a process (the server, or this tool) over the run.
type procReport struct {
	PID             int     `json:"pid"`
	CPUms           float64 `json:"cpu_ms"`
	CPUusPerRequest float64 `json:"cpu_us_per_request"`
	CPUCores        float64 `json:"cpu_cores"` // CPU time over wall time: 1 = one core busy throughout
	RSSBefore       int64   `json:"rss_before_bytes"`
	RSSAfter        int64   `json:"rss_after_bytes"`
}

// watchReport adds the fan-out figures; the report's Latency is per watcher delivery.
type watchReport struct {
	Watchers int            `json:"watchers"`
	Rounds   int            `json:"rounds"`
	Fanout   latencySummary `json:"fanout"` // per round, until the last watcher got the event
	Put      latencySummary `json:"put"`
}

// fillReport adds the memory growth per key.
type fillReport struct {
	Keys        int64   `json:"keys"`
	ValSize     int     `json:"val_size"`
	RSSGrowth   int64   `json:"rss_growth_bytes"`
	BytesPerKey float64 `json:"bytes_per_key"`
}

// restartReport adds the per-round figures; the report's Latency is the time to first read.
type restartReport struct {
	Rounds    int       `json:"rounds"`
	TimesMs   []float64 `json:"times_ms"`
	RSSAtRead []int64   `json:"rss_at_first_read_bytes"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func summarize(h *histogram) latencySummary {
	return latencySummary{
		Count:  h.Count(),
		P50ms:  ms(h.Percentile(50)),
		P90ms:  ms(h.Percentile(90)),
		P99ms:  ms(h.Percentile(99)),
		MaxMs:  ms(h.Max()),
		MeanMs: ms(h.Mean()),
	}
}

// usage computes a process report from samples taken before and after a run of n
// requests that lasted wall.
func usage(pid int, before, after procSample, n int64, wall time.Duration) *procReport {
	cpu := after.CPU - before.CPU
	r := &procReport{PID: pid, CPUms: ms(cpu), RSSBefore: before.RSS, RSSAfter: after.RSS}
	if n > 0 {
		r.CPUusPerRequest = float64(cpu) / float64(time.Microsecond) / float64(n)
	}
	if wall > 0 {
		r.CPUCores = float64(cpu) / float64(wall)
	}
	return r
}

// loadReport turns a load run into a report.
func loadReport(scenario string, cfg loadConfig, res loadResult) report {
	r := report{
		Scenario:   scenario,
		Endpoints:  cfg.Endpoints,
		Clients:    cfg.Clients,
		Requests:   res.Requests,
		Errors:     res.Errors,
		FirstError: res.FirstError,
		ElapsedSec: res.Elapsed.Seconds(),
		Latency:    summarize(res.All),
	}
	if s := res.Elapsed.Seconds(); s > 0 {
		r.QPS = float64(res.All.Count()) / s
	}
	if res.Get.Count() > 0 && res.Put.Count() > 0 {
		r.Ops = map[string]opSummary{"get": opOf(res.Get, res.Elapsed), "put": opOf(res.Put, res.Elapsed)}
	}
	return r
}

func opOf(h *histogram, elapsed time.Duration) opSummary {
	return opSummary{Requests: h.Count(), QPS: float64(h.Count()) / elapsed.Seconds(), Latency: summarize(h)}
}

// write prints r to w as JSON or as aligned text.
func (r report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b strings.Builder
	line := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-12s "+format+"\n", append([]any{name}, args...)...)
	}
	line("scenario", "%s", r.Scenario)
	line("endpoints", "%s", strings.Join(r.Endpoints, ","))
	if r.Clients > 0 {
		line("clients", "%d", r.Clients)
	}
	line("requests", "%d (errors %d)", r.Requests, r.Errors)
	if r.FirstError != "" {
		line("first error", "%s", r.FirstError)
	}
	line("elapsed", "%.3fs", r.ElapsedSec)
	if r.QPS > 0 {
		line("qps", "%.1f", r.QPS)
	}
	line("latency", "%s", r.Latency)
	for _, name := range []string{"get", "put"} {
		if op, ok := r.Ops[name]; ok {
			line(name, "%d requests, %.1f qps, %s", op.Requests, op.QPS, op.Latency)
		}
	}
	if w := r.Watch; w != nil {
		line("watchers", "%d, %d rounds", w.Watchers, w.Rounds)
		line("fan-out", "%s", w.Fanout)
		line("put", "%s", w.Put)
	}
	if f := r.Fill; f != nil {
		line("keys", "%d × %d B", f.Keys, f.ValSize)
		line("rss growth", "%s, %.1f B per key", mib(f.RSSGrowth), f.BytesPerKey)
	}
	if rs := r.Restart; rs != nil {
		line("restarts", "%d: %v ms", rs.Rounds, rs.TimesMs)
		line("rss at read", "%v bytes", rs.RSSAtRead)
	}
	if f := r.Failover; f != nil {
		line("killed", "%s (pid %d), new leader %s", f.Killed, f.KilledPID, f.NewLeader)
		line("recovery", "%.1f ms (last ack %.1f ms before the kill, first ack %.1f ms after)", f.GapMs, f.LastBeforeMs, f.FirstAfterMs)
		line("after", "%d writes acknowledged", f.WritesAfter)
	}
	if s := r.Server; s != nil {
		line("server cpu", "%.0f ms, %.1f µs per request, %.2f cores (pid %d)", s.CPUms, s.CPUusPerRequest, s.CPUCores, s.PID)
		line("server rss", "%s → %s", mib(s.RSSBefore), mib(s.RSSAfter))
	}
	if cl := r.Client; cl != nil {
		line("tool cpu", "%.0f ms, %.1f µs per request, %.2f cores", cl.CPUms, cl.CPUusPerRequest, cl.CPUCores)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String formats the summary on one line.
func (l latencySummary) String() string {
	return fmt.Sprintf("p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms  mean %.3fms",
		l.P50ms, l.P90ms, l.P99ms, l.MaxMs, l.MeanMs)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
