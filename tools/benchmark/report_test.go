package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestUsage(t *testing.T) {
	tests := []struct {
		name          string
		before, after procSample
		n             int64
		wall          time.Duration
		want          procReport
	}{
		{
			name:   "per request and cores",
			before: procSample{CPU: time.Second, RSS: 10 << 20},
			after:  procSample{CPU: 3 * time.Second, RSS: 12 << 20},
			n:      1000, wall: 4 * time.Second,
			want: procReport{PID: 7, CPUms: 2000, CPUusPerRequest: 2000, CPUCores: 0.5, RSSBefore: 10 << 20, RSSAfter: 12 << 20},
		},
		{
			name:   "no requests no wall",
			before: procSample{CPU: time.Second}, after: procSample{CPU: time.Second},
			want: procReport{PID: 7},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := usage(7, tt.before, tt.after, tt.n, tt.wall); *got != tt.want {
				t.Errorf("usage() = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestReportText(t *testing.T) {
	rep := report{
		Scenario: "put", Endpoints: []string{"http://a:1", "http://b:2"}, Clients: 4,
		Requests: 100, ElapsedSec: 2, QPS: 50, Latency: latencySummary{Count: 100, P50ms: 50, P90ms: 90, P99ms: 99, MaxMs: 100, MeanMs: 50.5},
		Server: &procReport{PID: 9, CPUms: 150, CPUusPerRequest: 1500, CPUCores: 0.08, RSSBefore: 1 << 20, RSSAfter: 3 << 20},
	}
	var b bytes.Buffer
	if err := rep.write(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"scenario     put\n",
		"endpoints    http://a:1,http://b:2\n",
		"qps          50.0\n",
		"latency      p50 50.000ms  p90 90.000ms  p99 99.000ms  max 100.000ms  mean 50.500ms\n",
		"server cpu   150 ms, 1500.0 µs per request, 0.08 cores (pid 9)\n",
		"server rss   1.0 MiB → 3.0 MiB\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}
