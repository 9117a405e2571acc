package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// backend is a member stand-in that records what reached it.
type backend struct {
	*httptest.Server
	name string
	hits atomic.Int64
	mu   sync.Mutex
	last *http.Request
	body string
}

func newBackend(t *testing.T, name string, h http.HandlerFunc) *backend {
	b := &backend{name: name}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.last, b.body = r.Clone(context.Background()), string(body)
		b.mu.Unlock()
		w.Header().Set("X-Backend", name)
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Index", "7")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"from":%q,"method":%q,"uri":%q,"body":%q}`, name, r.Method, r.RequestURI, body)
	}))
	t.Cleanup(b.Close)
	return b
}

// deadURL is a URL nothing listens on (connection refused).
func deadURL(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u
}

type testProxy struct {
	*Proxy
	srv   *httptest.Server
	clock *fakeClock
	reg   *prometheus.Registry
	mu    sync.Mutex
	urls  []string
}

func (tp *testProxy) setURLs(urls ...string) {
	tp.mu.Lock()
	tp.urls = urls
	tp.mu.Unlock()
	tp.Refresh(context.Background())
}

func newTestProxy(t *testing.T, readOnly bool, cors []string, urls ...string) *testProxy {
	tp := &testProxy{clock: newFakeClock(), reg: prometheus.NewRegistry(), urls: urls}
	p, err := New(Config{
		Transport:       NewTransport(nil, time.Second, 0, 5*time.Second),
		URLs:            func(context.Context) []string { tp.mu.Lock(); defer tp.mu.Unlock(); return slices.Clone(tp.urls) },
		FailureWait:     5 * time.Second,
		RefreshInterval: DefaultRefreshInterval,
		ReadOnly:        readOnly,
		CORS:            cors,
		Registerer:      tp.reg,
		Logger:          zerolog.New(zerolog.NewTestWriter(t)),
		Clock:           tp.clock,
		Shuffle:         noShuffle,
	})
	if err != nil {
		t.Fatal(err)
	}
	tp.Proxy = p
	p.Refresh(context.Background())
	tp.srv = httptest.NewServer(p.Handler())
	t.Cleanup(tp.srv.Close)
	return tp
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, u, body string, hdr ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, string(b)}
}

func TestProxyForwardsRequestAndAnswer(t *testing.T) {
	b := newBackend(t, "m1", nil)
	tp := newTestProxy(t, false, []string{"*"}, b.URL)

	got := do(t, "PUT", tp.srv.URL+"/v2/keys/a?prevExist=false&x=%2F", "value=1",
		"Content-Type", "application/x-www-form-urlencoded", "Connection", "keep-alive, X-Secret",
		"Proxy-Authorization", "Basic eA==", "X-Forwarded-For", "10.0.0.1", "Authorization", "Basic dTpw")
	if got.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", got.status, got.body)
	}
	if want := `{"from":"m1","method":"PUT","uri":"/v2/keys/a?prevExist=false&x=%2F","body":"value=1"}`; got.body != want {
		t.Errorf("body = %s, want %s", got.body, want)
	}
	if got.header.Get("X-Etcd-Index") != "7" || got.header.Get("Content-Type") != "application/json" {
		t.Errorf("member headers not passed through: %v", got.header)
	}
	// The proxy's CORS headers come first, the member's would follow them.
	if v := got.header.Values("Access-Control-Allow-Origin"); !slices.Equal(v, []string{"*"}) {
		t.Errorf("Access-Control-Allow-Origin = %q, want the proxy's *", v)
	}

	b.mu.Lock()
	in := b.last
	b.mu.Unlock()
	if v := in.Header.Get("X-Forwarded-For"); v != "10.0.0.1, 127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the earlier hop then the client", v)
	}
	if in.Header.Get("Proxy-Authorization") != "" {
		t.Error("hop-by-hop Proxy-Authorization reached the member")
	}
	if in.Header.Get("Authorization") != "Basic dTpw" || in.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("end-to-end headers lost: %v", in.Header)
	}
	if in.Host != strings.TrimPrefix(tp.srv.URL, "http://") {
		t.Errorf("Host = %q, want the client's %q", in.Host, tp.srv.URL)
	}
}

func TestProxyFailover(t *testing.T) {
	dead := deadURL(t)
	b1 := newBackend(t, "m1", nil)
	b2 := newBackend(t, "m2", nil)
	tp := newTestProxy(t, false, nil, dead, b1.URL, b2.URL)

	// The first endpoint refuses: the request, body included, goes to the next one.
	got := do(t, "POST", tp.srv.URL+"/v2/keys/q", "value=x", "Content-Type", "application/x-www-form-urlencoded")
	if got.status != http.StatusCreated || !strings.Contains(got.body, `"from":"m1"`) || !strings.Contains(got.body, `"body":"value=x"`) {
		t.Fatalf("after a refused endpoint got %d %s, want m1's 201 with the body", got.status, got.body)
	}
	if got, want := tp.Endpoints(), []string{b1.URL, b2.URL}; !slices.Equal(got, want) {
		t.Fatalf("Endpoints() = %q, want the dead one held out: %q", got, want)
	}
	// Requests stick to the first available endpoint (the reference does not round-robin).
	for range 3 {
		do(t, "GET", tp.srv.URL+"/v2/keys/q", "")
	}
	if b1.hits.Load() != 4 || b2.hits.Load() != 0 {
		t.Errorf("hits m1=%d m2=%d, want 4 and 0", b1.hits.Load(), b2.hits.Load())
	}
	// An error status is an answer, not a failure: it is passed on, no failover.
	b1.Close()
	b3 := newBackend(t, "m3", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"errorCode":300,"message":"Raft Internal Error"}`)
	})
	tp.setURLs(b3.URL, b2.URL)
	got = do(t, "GET", tp.srv.URL+"/v2/keys/q", "")
	if got.status != 500 || b2.hits.Load() != 0 {
		t.Errorf("a 500 from the member gave %d with m2 hit %d times, want 500 passed on and m2 unused", got.status, b2.hits.Load())
	}
	if n := tp.dropped("POST", dropFailedSendingRequest); n != 1 {
		t.Errorf("dropped_total{POST,failed_sending_request} = %v, want 1", n)
	}
}

// dropped reads etcd_proxy_dropped_total{method,proxying_error}.
func (tp *testProxy) dropped(method, reason string) float64 {
	mfs, _ := tp.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "etcd_proxy_dropped_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["method"] == method && labels["proxying_error"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestProxyAllEndpointsDown(t *testing.T) {
	tp := newTestProxy(t, false, nil, deadURL(t), deadURL(t))
	tests := []struct {
		name       string
		advance    time.Duration
		wantStatus int
		wantBody   string
	}{
		{"every endpoint refuses", 0, 502, `{"message":"httpproxy: unable to get response from 2 endpoint(s)"}`},
		{"all held unavailable", time.Second, 503, `{"message":"httpproxy: zero endpoints currently available"}`},
		{"failure wait over: retried", 4 * time.Second, 502, `{"message":"httpproxy: unable to get response from 2 endpoint(s)"}`},
	}
	for _, tt := range tests {
		tp.clock.Advance(tt.advance)
		got := do(t, "GET", tp.srv.URL+"/v2/keys/", "")
		if got.status != tt.wantStatus || got.body != tt.wantBody || got.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: got %d %s (%s), want %d %s (application/json)", tt.name, got.status, got.body,
				got.header.Get("Content-Type"), tt.wantStatus, tt.wantBody)
		}
	}
	tp.setURLs()
	if got := do(t, "PUT", tp.srv.URL+"/v2/keys/a", "value=1"); got.status != 503 {
		t.Errorf("with no endpoint at all got %d %s, want 503", got.status, got.body)
	}
}

func TestProxyReadonly(t *testing.T) {
	b := newBackend(t, "m1", nil)
	tp := newTestProxy(t, true, []string{"*"}, b.URL)
	tests := []struct {
		method     string
		wantStatus int
	}{
		{"GET", 201}, // the backend answers every request with 201
		{"HEAD", 501},
		{"OPTIONS", 501},
		{"PUT", 501},
		{"POST", 501},
		{"DELETE", 501},
		{"PATCH", 501},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			before := b.hits.Load()
			got := do(t, tt.method, tp.srv.URL+"/v2/keys/a", "")
			if got.status != tt.wantStatus {
				t.Fatalf("%s = %d, want %d", tt.method, got.status, tt.wantStatus)
			}
			if tt.wantStatus == 501 {
				if got.body != "" || got.header.Get("Access-Control-Allow-Origin") != "" || b.hits.Load() != before {
					t.Errorf("%s: body %q, CORS %q, member hit: want an empty 501 from the proxy alone",
						tt.method, got.body, got.header.Get("Access-Control-Allow-Origin"))
				}
			}
		})
	}
}

func TestProxyCORSAndLocalConfig(t *testing.T) {
	b := newBackend(t, "m1", func(w http.ResponseWriter, r *http.Request) {
		// A member adds its own CORS headers.
		w.Header().Add("Access-Control-Allow-Origin", "*")
		w.WriteHeader(200)
	})
	tests := []struct {
		name       string
		cors       []string
		method     string
		path       string
		origin     string
		wantStatus int
		wantOrigin []string
		wantBody   string
		wantHits   int64
	}{
		{"star: proxy and member headers", []string{"*"}, "GET", "/v2/keys/a", "", 200, []string{"*", "*"}, "", 1},
		{"options answered locally", []string{"*"}, "OPTIONS", "/v2/keys/a", "", 200, []string{"*"}, "", 0},
		{"listed origin", []string{"http://ok.example"}, "GET", "/v2/keys/a", "http://ok.example", 200, []string{"http://ok.example", "*"}, "", 1},
		{"other origin", []string{"http://ok.example"}, "GET", "/v2/keys/a", "http://no.example", 200, []string{"*"}, "", 1},
		{"config endpoint", []string{"*"}, "GET", "/v2/config/local/proxy", "", 200, []string{"*"}, `{"endpoints":["` + b.URL + `"]}` + "\n", 0},
		{"config endpoint PUT", []string{"*"}, "PUT", "/v2/config/local/proxy", "", 405, []string{"*"}, "Method Not Allowed\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := newTestProxy(t, false, tt.cors, b.URL)
			before := b.hits.Load()
			var hdr []string
			if tt.origin != "" {
				hdr = []string{"Origin", tt.origin}
			}
			got := do(t, tt.method, tp.srv.URL+tt.path, "", hdr...)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if v := got.header.Values("Access-Control-Allow-Origin"); !slices.Equal(v, tt.wantOrigin) {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", v, tt.wantOrigin)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
			if n := b.hits.Load() - before; n != tt.wantHits {
				t.Errorf("member hit %d times, want %d", n, tt.wantHits)
			}
		})
	}
}

// A watch answer reaches the client chunk by chunk while the member keeps the response
// open: the headers at once, then each event as the member flushes it.
func TestProxyStreamsWithoutBuffering(t *testing.T) {
	events := make(chan string)
	b := newBackend(t, "m1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Index", "9")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				io.WriteString(w, ev+"\n")
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	})
	tp := newTestProxy(t, false, nil, b.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", tp.srv.URL+"/v2/keys/w?wait=true&stream=true", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("headers did not arrive before any event: %v", err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Etcd-Index") != "9" {
		t.Errorf("X-Etcd-Index = %q, want 9", resp.Header.Get("X-Etcd-Index"))
	}
	rd := bufio.NewReader(resp.Body)
	for i := range 3 {
		want := fmt.Sprintf(`{"action":"set","node":{"key":"/w","value":"%d"}}`, i)
		events <- want // unbuffered: the member has taken it before we read
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if strings.TrimSpace(line) != want {
			t.Fatalf("event %d = %q, want %q", i, line, want)
		}
	}
	close(events)
	if rest, _ := io.ReadAll(rd); len(rest) != 0 {
		t.Errorf("trailing bytes %q", rest)
	}
}

// A client that leaves while its request waits on a member does not make the proxy
// hold that member responsible.
func TestProxyClientGoneIsNotEndpointFailure(t *testing.T) {
	arrived := make(chan struct{}, 1)
	b := newBackend(t, "m1", func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	tp := newTestProxy(t, false, nil, b.URL)
	handled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tp.Handler().ServeHTTP(w, r)
		close(handled)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v2/keys/w?wait=true", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("request never reached the member")
	}
	cancel()
	select {
	case <-handled:
	case <-time.After(10 * time.Second):
		t.Fatal("proxy handler still running after the client left")
	}
	if got := tp.Endpoints(); !slices.Equal(got, []string{b.URL}) {
		t.Errorf("Endpoints() = %q, want %q still available", got, []string{b.URL})
	}
	if n := tp.dropped("GET", dropFailedSendingRequest); n != 0 {
		t.Errorf("dropped_total{GET,failed_sending_request} = %v, want 0", n)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	urls := func(context.Context) []string { return nil }
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no transport", Config{URLs: urls, RefreshInterval: time.Second}},
		{"no URLs function", Config{Transport: http.DefaultTransport, RefreshInterval: time.Second}},
		{"zero refresh interval", Config{Transport: http.DefaultTransport, URLs: urls}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", tt.name)
		}
	}
}

// Closing Done ends the watches being proxied (so a graceful shutdown is not held up by
// them) and leaves other requests alone.
func TestProxyDoneEndsWatches(t *testing.T) {
	b := newBackend(t, "m1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("wait") != "true" {
			io.WriteString(w, "plain")
			return
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	done := make(chan struct{})
	p, err := New(Config{
		Transport:       NewTransport(nil, time.Second, 0, time.Second),
		URLs:            func(context.Context) []string { return []string{b.URL} },
		RefreshInterval: time.Minute,
		Logger:          zerolog.New(zerolog.NewTestWriter(t)),
		Done:            done,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Refresh(context.Background())
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v2/keys/w?wait=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ended := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		ended <- err
	}()
	close(done)
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("watch still open 10s after Done was closed")
	}
	if got := do(t, "GET", srv.URL+"/v2/keys/a", ""); got.status != 200 || got.body != "plain" {
		t.Errorf("after Done a plain GET = %d %q, want 200 plain", got.status, got.body)
	}
	if got := p.Endpoints(); !slices.Equal(got, []string{b.URL}) {
		t.Errorf("Endpoints() = %q: ending watches must not mark the member down", got)
	}
}

// Unclean paths are redirected by the proxy itself with the reference's 301, before
// readonly and CORS, and never forwarded.
func TestProxyRedirectsUncleanPaths(t *testing.T) {
	b := newBackend(t, "m1", nil)
	tp := newTestProxy(t, true, []string{"*"}, b.URL)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		method, path string
		wantStatus   int
		wantLocation string
	}{
		{"GET", "/v2/keys//a", 301, "/v2/keys/a"},
		{"GET", "/v2/keys/./a/?recursive=true", 301, "/v2/keys/a/?recursive=true"},
		{"PUT", "/v2//keys/a", 301, "/v2/keys/a"},
		{"GET", "/v2/keys/a/../../..", 301, "/"},
		{"GET", "/v2/keys/a/", 201, ""},
		{"PUT", "/v2/keys/a", 501, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			before := b.hits.Load()
			req, _ := http.NewRequest(tt.method, tp.srv.URL+tt.path, nil)
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Location") != tt.wantLocation {
				t.Errorf("%s %s = %d Location %q, want %d %q", tt.method, tt.path, resp.StatusCode,
					resp.Header.Get("Location"), tt.wantStatus, tt.wantLocation)
			}
			if tt.wantStatus == 301 && (b.hits.Load() != before || resp.Header.Get("Access-Control-Allow-Origin") != "") {
				t.Errorf("redirect forwarded or carrying CORS headers")
			}
		})
	}
}
