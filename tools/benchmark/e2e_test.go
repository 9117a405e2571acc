package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// runApp runs the command line and decodes its --json report.
func runApp(t *testing.T, args ...string) report {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).RunContext(t.Context(), append([]string{"benchmark"}, args...))
	if err != nil {
		t.Fatalf("benchmark %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("benchmark %s: decode %q: %v", strings.Join(args, " "), stdout.String(), err)
	}
	return rep
}

func startFake(t *testing.T) (*fakeKeys, string) {
	t.Helper()
	f := newFakeKeys()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func TestPutDistinctKeys(t *testing.T) {
	f, url := startFake(t)
	rep := runApp(t, "put", "--endpoints", url, "--clients", "4", "--total", "200",
		"--key-space", "50", "--val-size", "64", "--json")
	if rep.Requests != 200 || rep.Errors != 0 || rep.Latency.Count != 200 {
		t.Errorf("put requests/errors/samples = %d/%d/%d, want 200/0/200", rep.Requests, rep.Errors, rep.Latency.Count)
	}
	if rep.QPS <= 0 || rep.Latency.P50ms <= 0 || rep.Latency.P99ms < rep.Latency.P50ms {
		t.Errorf("put qps %v, latency %v: want positive and ordered", rep.QPS, rep.Latency)
	}
	values, _, _, puts := f.snapshot()
	if len(values) != 50 || puts != 200 {
		t.Errorf("fake holds %d keys after %d puts, want 50 after 200", len(values), puts)
	}
	for i := range 50 {
		if v := values["/bench/"+strconv.Itoa(i)]; len(v) != 64 {
			t.Errorf("value of /bench/%d has %d bytes, want 64", i, len(v))
		}
	}
}

func TestGetPrefillsQuorumAndReportsServer(t *testing.T) {
	f, url := startFake(t)
	rep := runApp(t, "get", "--endpoints", url, "--clients", "3", "--total", "90",
		"--key-space", "10", "--quorum", "--pid", strconv.Itoa(os.Getpid()), "--json")
	if rep.Requests != 90 || rep.Errors != 0 {
		t.Errorf("get requests/errors = %d/%d, want 90/0 (first error %q)", rep.Requests, rep.Errors, rep.FirstError)
	}
	values, gets, quorum, puts := f.snapshot()
	if len(values) != 10 || puts != 10 || gets != 90 || quorum != 90 {
		t.Errorf("fake keys/puts/gets/quorum = %d/%d/%d/%d, want 10/10/90/90", len(values), puts, gets, quorum)
	}
	if rep.Server == nil || rep.Server.PID != os.Getpid() || rep.Server.RSSAfter <= 0 {
		t.Errorf("server report = %+v, want this process's figures", rep.Server)
	}
	if rep.Client == nil || rep.Client.PID != os.Getpid() {
		t.Errorf("client report = %+v, want this process's figures", rep.Client)
	}
}

func TestGetMissingKeysCountErrors(t *testing.T) {
	_, url := startFake(t)
	rep := runApp(t, "get", "--endpoints", url, "--total", "5", "--prefill=false", "--json")
	if rep.Errors != 5 || !strings.Contains(rep.FirstError, "404") {
		t.Errorf("get of a missing key: errors %d, first %q; want 5 with a 404", rep.Errors, rep.FirstError)
	}
}

func TestMixedSplitsByRatio(t *testing.T) {
	f, url := startFake(t)
	rep := runApp(t, "mixed", "--endpoints", url, "--clients", "2", "--total", "400",
		"--ratio", "0.5", "--json")
	_, gets, _, puts := f.snapshot()
	// One prefill PUT, then 400 requests split at random.
	if gets+puts != 401 || rep.Requests != 400 || rep.Errors != 0 {
		t.Fatalf("fake gets+puts = %d, report requests/errors = %d/%d, want 401, 400/0", gets+puts, rep.Requests, rep.Errors)
	}
	if gets == 0 || puts <= 1 {
		t.Errorf("mixed at 0.5 sent %d gets and %d puts, want both kinds", gets, puts-1)
	}
	if got := rep.Ops["get"].Requests + rep.Ops["put"].Requests; got != 400 {
		t.Errorf("ops get+put = %d, want 400", got)
	}
}

// countingHandler counts the requests reaching one endpoint.
type countingHandler struct {
	n    atomic.Int64
	next http.Handler
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	c.next.ServeHTTP(w, r)
}

func TestEndpointsRoundRobin(t *testing.T) {
	f := newFakeKeys()
	a, b := &countingHandler{next: f}, &countingHandler{next: f}
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	t.Cleanup(sa.Close)
	t.Cleanup(sb.Close)
	rep := runApp(t, "put", "--endpoints", sa.URL+","+sb.URL+"/", "--clients", "1", "--total", "10", "--json")
	if rep.Errors != 0 || a.n.Load() != 5 || b.n.Load() != 5 {
		t.Errorf("one client, 10 requests over 2 endpoints: %d and %d (errors %d), want 5 and 5",
			a.n.Load(), b.n.Load(), rep.Errors)
	}
}

func TestSharedConnections(t *testing.T) {
	var conns atomic.Int64
	f := newFakeKeys()
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	rep := runApp(t, "put", "--endpoints", srv.URL, "--clients", "8", "--conns", "2", "--total", "200", "--json")
	if rep.Errors != 0 || conns.Load() != 2 {
		t.Errorf("8 clients over --conns 2: %d connections (errors %d), want 2", conns.Load(), rep.Errors)
	}
}

func TestWatchFanOut(t *testing.T) {
	_, url := startFake(t)
	rep := runApp(t, "watch", "--endpoints", url, "--watchers", "20", "--rounds", "3", "--json")
	if rep.Requests != 60 || rep.Errors != 0 {
		t.Errorf("watch events/errors = %d/%d, want 60/0 (first error %q)", rep.Requests, rep.Errors, rep.FirstError)
	}
	if rep.Watch == nil || rep.Watch.Fanout.Count != 3 || rep.Watch.Put.Count != 3 || rep.Latency.Count != 60 {
		t.Fatalf("watch report = %+v, latency %+v; want 3 fan-outs, 3 puts, 60 deliveries", rep.Watch, rep.Latency)
	}
	if rep.Watch.Fanout.MaxMs < rep.Latency.P50ms {
		t.Errorf("fan-out max %vms below delivery p50 %vms", rep.Watch.Fanout.MaxMs, rep.Latency.P50ms)
	}
}

func TestWatchRegistrationRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("busy"))
	}))
	t.Cleanup(srv.Close)
	rep := runApp(t, "watch", "--endpoints", srv.URL, "--watchers", "5", "--rounds", "2", "--json")
	if rep.Requests != 0 || rep.Errors != 10 || !strings.Contains(rep.FirstError, "503") {
		t.Errorf("watch against a refusing server: events %d, errors %d, first %q; want 0, 10, a 503",
			rep.Requests, rep.Errors, rep.FirstError)
	}
}

func TestFillReportsBytesPerKey(t *testing.T) {
	f, url := startFake(t)
	rep := runApp(t, "fill", "--endpoints", url, "--keys", "300", "--val-size", "256",
		"--clients", "4", "--pid", strconv.Itoa(os.Getpid()), "--json")
	values, _, _, _ := f.snapshot()
	if len(values) != 300 || rep.Errors != 0 {
		t.Errorf("fill wrote %d keys (errors %d), want 300", len(values), rep.Errors)
	}
	if rep.Fill == nil || rep.Fill.Keys != 300 || rep.Server == nil {
		t.Fatalf("fill report = %+v, server %+v; want 300 keys and server figures", rep.Fill, rep.Server)
	}
	if want := float64(rep.Server.RSSAfter-rep.Server.RSSBefore) / 300; rep.Fill.BytesPerKey != want {
		t.Errorf("bytes per key = %v, want %v", rep.Fill.BytesPerKey, want)
	}
}

func TestRestartTimesFirstRead(t *testing.T) {
	var ports bytes.Buffer
	if err := freePorts(&ports, 1); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strings.TrimSpace(ports.String())
	cmd := fmt.Sprintf("env %s=%s '%s'", fakeServerEnv, addr, os.Args[0])
	rep := runApp(t, "restart", "--endpoints", "http://"+addr, "--cmd", cmd, "--rounds", "2", "--json")
	if rep.Restart == nil || len(rep.Restart.TimesMs) != 2 || rep.Latency.Count != 2 {
		t.Fatalf("restart report = %+v, want 2 rounds", rep.Restart)
	}
	for i, tm := range rep.Restart.TimesMs {
		if tm <= 0 || rep.Restart.RSSAtRead[i] <= 0 {
			t.Errorf("round %d: time %vms, rss %d; want positive", i, tm, rep.Restart.RSSAtRead[i])
		}
	}
}

func TestRestartFailures(t *testing.T) {
	_, busy := startFake(t)
	tests := []struct {
		name     string
		endpoint string
		cmd      string
		want     error
	}{
		{name: "server exits", endpoint: "http://127.0.0.1:1", cmd: "false", want: ErrServerExited},
		{name: "endpoint already served", endpoint: busy, cmd: "true", want: ErrEndpointBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := newApp(&stdout, &stderr).RunContext(t.Context(), []string{"benchmark", "restart",
				"--endpoints", tt.endpoint, "--cmd", tt.cmd})
			if !errors.Is(err, tt.want) {
				t.Errorf("restart error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{name: "one", in: "http://127.0.0.1:2379", want: []string{"http://127.0.0.1:2379"}},
		{name: "list with spaces and slashes", in: " http://a:1/, http://b:2 ,", want: []string{"http://a:1", "http://b:2"}},
		{name: "empty", in: " , ", wantErr: true},
		{name: "no scheme", in: "127.0.0.1:2379", wantErr: true},
		{name: "wrong scheme", in: "unix:///x", wantErr: true},
		{name: "https unsupported", in: "https://a:1", wantErr: true},
		{name: "path", in: "http://a:1/v2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEndpoints(tt.in)
			if (err != nil) != tt.wantErr || strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("parseEndpoints(%q) = %q, %v, want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestLoadConfigRejects(t *testing.T) {
	ok := loadConfig{Endpoints: []string{"http://x:1"}, Clients: 1, Total: 1, KeySpace: 1, Timeout: 1}
	tests := []struct {
		name string
		mod  func(*loadConfig)
	}{
		{name: "no clients", mod: func(c *loadConfig) { c.Clients = 0 }},
		{name: "no limit", mod: func(c *loadConfig) { c.Total = 0 }},
		{name: "no keys", mod: func(c *loadConfig) { c.KeySpace = 0 }},
		{name: "ratio above one", mod: func(c *loadConfig) { c.ReadRatio = 1.5 }},
		{name: "negative conns", mod: func(c *loadConfig) { c.Conns = -1 }},
	}
	if err := ok.validate(); err != nil {
		t.Fatalf("validate(base) = %v, want nil", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			if err := c.validate(); !errors.Is(err, ErrBadConfig) {
				t.Errorf("validate() = %v, want ErrBadConfig", err)
			}
		})
	}
}
