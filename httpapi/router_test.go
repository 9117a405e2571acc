package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/store"
)

func TestStatsMachinesVersion(t *testing.T) {
	tests := []struct {
		name     string
		knob     func(f *fakeServer)
		method   string
		target   string
		wantCode int
		wantCT   string
		wantBody string
	}{
		{"self", nil, "GET", "/v2/stats/self", 200, "application/json", `{"name":"n1","id":"336addd95eef9faf","state":"StateLeader"}`},
		{"leader", nil, "GET", "/v2/stats/leader", 200, "application/json", `{"leader":"336addd95eef9faf","followers":{}}`},
		{"not leader", func(f *fakeServer) { f.leaderStats = nil }, "GET", "/v2/stats/leader", 403, "application/json", `{"message":"not current leader"}`},
		{"store", nil, "GET", "/v2/stats/store", 200, "application/json",
			`{"getsSuccess":0,"getsFail":0,"setsSuccess":0,"setsFail":0,"deleteSuccess":0,"deleteFail":0,"updateSuccess":0,"updateFail":0,"createSuccess":0,"createFail":0,"compareAndSwapSuccess":0,"compareAndSwapFail":0,"compareAndDeleteSuccess":0,"compareAndDeleteFail":0,"expireCount":0,"watchers":0}`},
		{"machines", func(f *fakeServer) {
			f.members[0].ClientURLs = []string{"http://z:1", "http://b:2"}
			f.members = append(f.members, f.members[0])
			f.members[1].ClientURLs = []string{"http://a:3"}
		}, "GET", "/v2/machines", 200, contentText, "http://a:3, http://b:2, http://z:1"},
		{"machines head", nil, "HEAD", "/v2/machines", 200, contentText, ""},
		{"version", nil, "GET", "/version", 200, "application/json", `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`},
		{"version not decided", func(f *fakeServer) { f.clusterVersion = "" }, "GET", "/version", 200, "application/json",
			`{"etcdserver":"3.4.23","etcdcluster":"not_decided"}`},
		{"health", nil, "GET", "/health", 200, contentText, `{"health":"true"}`},
		{"health without leader", func(f *fakeServer) { f.leader = 0 }, "GET", "/health", 503, contentText, `{"health":"false"}` + "\n"},
		{"health read fails", func(f *fakeServer) { f.readErr = errFakeTimeout }, "GET", "/health", 503, contentText, `{"health":"false"}` + "\n"},
		{"health read hangs", func(f *fakeServer) { f.blockRead = true }, "GET", "/health", 503, contentText, `{"health":"false"}` + "\n"},
		{"not found", nil, "GET", "/nothing", 404, contentText, "404 page not found\n"},
		{"not found v2", nil, "GET", "/v2/keysfoo", 404, contentText, "404 page not found\n"},
		{"not found stats", nil, "GET", "/v2/stats", 404, contentText, "404 page not found\n"},
		{"not found unknown method", nil, "FOO", "/nothing", 404, contentText, "404 page not found\n"},
		{"log level needs a setter", nil, "PUT", "/config/local/log", 404, contentText, "404 page not found\n"},
		{"pprof off", nil, "GET", "/debug/pprof/", 404, contentText, "404 page not found\n"},
		{"options anywhere", nil, "OPTIONS", "/anything//at/all", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestAPI(t, func(c *Config) { c.RequestTimeout = 50 * time.Millisecond })
			if tt.knob != nil {
				ta.srv.set(tt.knob)
			}
			res := ta.do(t, tt.method, tt.target, "")
			if res.status != tt.wantCode || res.body != tt.wantBody || res.header.Get("Content-Type") != tt.wantCT {
				t.Fatalf("%s %s = %d %q %q, want %d %q %q", tt.method, tt.target, res.status, res.header.Get("Content-Type"), res.body,
					tt.wantCode, tt.wantCT, tt.wantBody)
			}
			for _, h := range []string{"X-Etcd-Cluster-Id", "X-Etcd-Index", "X-Raft-Index", "X-Raft-Term"} {
				if v := res.header.Get(h); v != "" {
					t.Errorf("%s %s carries %s: %q", tt.method, tt.target, h, v)
				}
			}
		})
	}
}

func TestHealthTimeout(t *testing.T) {
	// The health check's own 1 s bound applies even with a longer request timeout.
	ta := newTestAPI(t)
	ta.srv.set(func(f *fakeServer) { f.blockRead = true })
	start := time.Now()
	res := ta.do(t, "GET", "/health", "")
	if res.status != 503 {
		t.Fatalf("GET /health with a hanging read = %d, want 503", res.status)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("GET /health took %v, want about 1s", took)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method, target, allow string
	}{
		{"POST", "/v2/stats/self", "GET"},
		{"PUT", "/v2/stats/leader", "GET"},
		{"DELETE", "/v2/stats/store", "GET"},
		{"POST", "/v2/machines", "GET,HEAD"},
		{"POST", "/version", "GET"},
		{"HEAD", "/version", "GET"},
		{"POST", "/health", "GET"},
		{"PUT", "/debug/vars", "GET"},
		{"GET", "/config/local/log", "PUT"},
		{"PATCH", "/v2/keys", "HEAD,GET,PUT,POST,DELETE"},
		{"FOO", "/v2/keys/x", "HEAD,GET,PUT,POST,DELETE"},
		{"FOO", "/version", "GET"},
	}
	for _, tt := range tests {
		ta := newTestAPI(t, func(c *Config) { c.SetLogLevel = func(zerolog.Level) {} })
		res := ta.do(t, tt.method, tt.target, "")
		wantBody := "Method Not Allowed\n"
		if tt.method == "HEAD" {
			wantBody = ""
		}
		if res.status != 405 || res.body != wantBody || res.header.Get("Allow") != tt.allow ||
			res.header.Get("Content-Type") != contentText {
			t.Errorf("%s %s = %d %q Allow %q CT %q, want 405 Allow %q", tt.method, tt.target, res.status, res.body,
				res.header.Get("Allow"), res.header.Get("Content-Type"), tt.allow)
		}
	}
}

func TestMetricsAnyMethod(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "PUT", "/v2/keys/a?value=1", "")
	ta.do(t, "PUT", "/v2/keys/a?prevExist=false", "")
	ta.do(t, "GET", "/v2/keys/a", "")
	ta.do(t, "GET", "/v2/keys/b", "")
	ta.do(t, "GET", "/health", "")
	for _, m := range []string{"GET", "POST"} {
		res := ta.do(t, m, "/metrics", "")
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%s /metrics = %d %q", m, res.status, res.header.Get("Content-Type"))
		}
		for _, want := range []string{
			"# TYPE etcd_debugging_store_reads_total counter\n",
			`etcd_debugging_store_reads_total{action="get"} 2` + "\n",
			"# TYPE etcd_debugging_store_writes_total counter\n",
			`etcd_debugging_store_writes_total{action="set"} 1` + "\n",
			`etcd_debugging_store_writes_total{action="create"} 1` + "\n",
			`etcd_debugging_store_writes_total{action="compareAndDelete"} 0` + "\n",
			"# TYPE etcd_debugging_store_expires_total counter\n",
			"etcd_debugging_store_expires_total 0\n",
			"# TYPE etcd_debugging_store_watchers gauge\n",
			"etcd_debugging_store_watchers 0\n",
			"# TYPE etcd_debugging_store_watch_requests_total counter\n",
			"etcd_server_health_success 1\n",
			"etcd_server_health_failures 0\n",
		} {
			if !strings.Contains(res.body, want) {
				t.Errorf("%s /metrics lacks %q", m, want)
			}
		}
	}
}

func TestNewRejects(t *testing.T) {
	f := newFakeServer()
	if _, err := New(Config{KV: f.st}); err == nil {
		t.Error("New without a Server succeeded")
	}
	if _, err := New(Config{Server: f}); err == nil {
		t.Error("New without a KV succeeded")
	}
	ta := newTestAPI(t)
	if _, err := New(Config{Server: f, KV: f.st, Registry: ta.reg}); err == nil {
		t.Error("New with a registry holding its metrics already succeeded")
	}
	h, err := New(Config{Server: f, KV: f.st})
	if err != nil || h == nil {
		t.Errorf("New with defaults = %v, %v", h, err)
	}
}

func TestRedirectsUncleanPaths(t *testing.T) {
	tests := []struct {
		method, target string
		wantLocation   string
		wantBody       string
	}{
		{"GET", "/v2/keys//foo", "/v2/keys/foo", `<a href="/v2/keys/foo">Moved Permanently</a>.` + "\n\n"},
		{"GET", "/v2//keys/foo?x=1", "/v2/keys/foo?x=1", `<a href="/v2/keys/foo?x=1">Moved Permanently</a>.` + "\n\n"},
		{"PUT", "/v2/keys//foo?value=1", "/v2/keys/foo?value=1", ""},
		{"GET", "/v2/keys/a/../b", "/v2/keys/b", `<a href="/v2/keys/b">Moved Permanently</a>.` + "\n\n"},
		{"GET", "/v2/keys/./a/", "/v2/keys/a/", `<a href="/v2/keys/a/">Moved Permanently</a>.` + "\n\n"},
		{"GET", "/v2/keys//sp%20ace", "/v2/keys/sp%20ace", `<a href="/v2/keys/sp%20ace">Moved Permanently</a>.` + "\n\n"},
		{"GET", "//nothing", "/nothing", `<a href="/nothing">Moved Permanently</a>.` + "\n\n"},
	}
	for _, tt := range tests {
		ta := newTestAPI(t)
		res := ta.rawDo(t, tt.method, tt.target)
		if res.status != 301 || res.header.Get("Location") != tt.wantLocation || res.body != tt.wantBody {
			t.Errorf("%s %s = %d Location %q body %q, want 301 %q %q", tt.method, tt.target, res.status,
				res.header.Get("Location"), res.body, tt.wantLocation, tt.wantBody)
		}
		if len(ta.srv.cmds) != 0 {
			t.Errorf("%s %s reached the server", tt.method, tt.target)
		}
	}
}

func TestRoutingUsesDecodedPath(t *testing.T) {
	ta := newTestAPI(t)
	res := ta.rawDo(t, "PUT", "/v2/ke%79s/a%2Fb?value=1")
	want := `{"action":"set","node":{"key":"/a/b","value":"1","modifiedIndex":1,"createdIndex":1}}` + "\n"
	if res.status != 201 || res.body != want {
		t.Errorf("PUT /v2/ke%%79s/a%%2Fb = %d %q, want 201 %q", res.status, res.body, want)
	}
}

func TestCORS(t *testing.T) {
	const (
		acao = "Access-Control-Allow-Origin"
		acam = "Access-Control-Allow-Methods"
		acah = "Access-Control-Allow-Headers"
	)
	tests := []struct {
		name       string
		cors       []string
		origin     string
		method     string
		target     string
		wantOrigin string
	}{
		{"default allows all", nil, "", "GET", "/v2/keys/nope", "*"},
		{"star", []string{"*"}, "http://x", "GET", "/nothing", "*"},
		{"listed origin", []string{"http://a", "http://b"}, "http://b", "PUT", "/v2/keys/a?value=1", "http://b"},
		{"unlisted origin", []string{"http://a"}, "http://c", "GET", "/version", ""},
		{"no origin", []string{"http://a"}, "", "GET", "/version", ""},
		{"options on a listed origin", []string{"http://a"}, "http://a", "OPTIONS", "/v2/keys/a", "http://a"},
		{"errors too", nil, "", "PATCH", "/v2/keys/a", "*"},
		{"redirects too", nil, "", "GET", "/v2//keys", "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestAPI(t, func(c *Config) { c.CORS = tt.cors })
			var hdr []string
			if tt.origin != "" {
				hdr = append(hdr, "Origin: "+tt.origin)
			}
			res := ta.do(t, tt.method, tt.target, "", hdr...)
			if got := res.header.Get(acao); got != tt.wantOrigin {
				t.Fatalf("%s: %s = %q, want %q", tt.name, acao, got, tt.wantOrigin)
			}
			wantMethods, wantHeaders := "POST, GET, OPTIONS, PUT, DELETE", "accept, content-type, authorization"
			if tt.wantOrigin == "" {
				wantMethods, wantHeaders = "", ""
			}
			if res.header.Get(acam) != wantMethods || res.header.Get(acah) != wantHeaders {
				t.Errorf("%s: %s = %q, %s = %q", tt.name, acam, res.header.Get(acam), acah, res.header.Get(acah))
			}
			if tt.method == "OPTIONS" && (res.status != 200 || res.body != "") {
				t.Errorf("%s: OPTIONS = %d %q, want 200 and no body", tt.name, res.status, res.body)
			}
		})
	}
}

func TestRecoverAnswersInEtcdShape(t *testing.T) {
	panicky := &panicServer{fakeServer: newFakeServer()}
	ta := newTestAPIOn(t, panicky.fakeServer, func(c *Config) { c.Server = panicky })
	res := ta.do(t, "PUT", "/v2/keys/a?value=1", "")
	want := `{"errorCode":300,"message":"Raft Internal Error","cause":"internal server error","index":0}` + "\n"
	if res.status != 500 || res.body != want || res.header.Get("X-Etcd-Index") != "0" {
		t.Errorf("PUT with a panicking server = %d %q, want 500 %q", res.status, res.body, want)
	}
	res = ta.do(t, "GET", "/version", "")
	if res.status != 200 {
		t.Errorf("GET /version after a panic = %d, want 200", res.status)
	}
}

// panicServer panics in Do, standing for a bug below the HTTP layer.
type panicServer struct{ *fakeServer }

func (p *panicServer) Do(context.Context, *store.Command) (*store.Event, error) {
	panic("boom")
}

func TestLogLevel(t *testing.T) {
	var got []zerolog.Level
	ta := newTestAPI(t, func(c *Config) { c.SetLogLevel = func(l zerolog.Level) { got = append(got, l) } })
	tests := []struct {
		body     string
		wantCode int
		wantBody string
	}{
		{`{"Level":"DEBUG"}`, 204, ""},
		{`{"level":"info"}`, 204, ""},
		{`{"Level":"W"}`, 204, ""},
		{`{"Level":"bogus"}`, 400, `{"message":"Invalid log level bogus"}`},
		{`{}`, 400, `{"message":"Invalid log level "}`},
		{`xx`, 400, `{"message":"Invalid json body"}`},
	}
	for _, tt := range tests {
		res := ta.do(t, "PUT", "/config/local/log", tt.body, jsonCT)
		if res.status != tt.wantCode || res.body != tt.wantBody {
			t.Errorf("PUT /config/local/log %s = %d %q, want %d %q", tt.body, res.status, res.body, tt.wantCode, tt.wantBody)
		}
	}
	want := []zerolog.Level{zerolog.DebugLevel, zerolog.InfoLevel, zerolog.WarnLevel}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("levels set = %v, want %v", got, want)
	}
}

func TestDebugEndpoints(t *testing.T) {
	ta := newTestAPI(t, func(c *Config) { c.EnablePprof = true })
	res := ta.do(t, "GET", "/debug/vars", "")
	var vars map[string]json.RawMessage
	if err := json.Unmarshal([]byte(res.body), &vars); err != nil || res.status != 200 {
		t.Fatalf("GET /debug/vars = %d, %v", res.status, err)
	}
	if _, ok := vars["memstats"]; !ok {
		t.Errorf("/debug/vars lacks memstats")
	}
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		if res := ta.do(t, "GET", p, ""); res.status != 200 {
			t.Errorf("GET %s = %d, want 200", p, res.status)
		}
	}
}
