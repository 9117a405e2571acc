package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeKeys is a v2 keys endpoint answering every request with one canned response and
// recording the requests.
type fakeKeys struct {
	status int
	body   string
	header map[string]string
	seen   []*http.Request
}

func (f *fakeKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.seen = append(f.seen, r)
	for k, v := range f.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(f.status)
	fmt.Fprint(w, f.body)
}

const okBody = `{"action":"get","node":{"key":"/a","value":"v","modifiedIndex":3,"createdIndex":3}}`

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func newTestClient(t *testing.T, eps ...string) (*client, *strings.Builder) {
	t.Helper()
	var debug strings.Builder
	c, err := newClient(clientConfig{endpoints: eps, transport: http.DefaultTransport, headerTimeout: time.Second, debug: &debug})
	if err != nil {
		t.Fatal(err)
	}
	return c, &debug
}

func refusedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func TestClientFailover(t *testing.T) {
	dead := refusedURL(t)
	tests := []struct {
		name       string
		handlers   []http.Handler // nil: a refused endpoint
		oneShot    bool
		wantErr    string // substring; "" means success
		wantPinned int
	}{
		{"first endpoint answers", []http.Handler{&fakeKeys{status: 200, body: okBody}}, false, "", 0},
		{"refused then ok", []http.Handler{nil, &fakeKeys{status: 200, body: okBody}}, false, "", 1},
		{"no leader then ok", []http.Handler{&fakeKeys{status: 500}, &fakeKeys{status: 200, body: okBody}}, false, "", 1},
		{"all fail", []http.Handler{&fakeKeys{status: 503}, &fakeKeys{status: 502}}, false,
			"client: etcd cluster is unavailable or misconfigured; error #0: client: etcd member %s has no leader\n; error #1: client: etcd member %s returns server error [Bad Gateway]\n", 0},
		{"one-shot is not retried", []http.Handler{nil, &fakeKeys{status: 200, body: okBody}}, true, "connect: connection refused", 1},
		{"a 4xx is an answer", []http.Handler{&fakeKeys{status: 404, body: `{"errorCode":100,"message":"Key not found","cause":"/a","index":7}`}, &fakeKeys{status: 200, body: okBody}}, false,
			"100: Key not found (/a) [7]", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var eps []string
			for _, h := range tt.handlers {
				if h == nil {
					eps = append(eps, dead)
				} else {
					eps = append(eps, serve(t, h))
				}
			}
			c, debug := newTestClient(t, eps...)
			var err error
			if tt.oneShot {
				_, err = c.set(t.Context(), "/a", "v", setOptions{prevExist: prevNoExist})
			} else {
				_, err = c.get(t.Context(), "/a", false, false, false)
			}
			want := tt.wantErr
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, eps[0], eps[1])
			}
			switch {
			case want == "" && err != nil:
				t.Fatalf("request failed: %v", err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("request error = %v, want %q", err, want)
			}
			if c.pinned != tt.wantPinned {
				t.Errorf("pinned = %d, want %d", c.pinned, tt.wantPinned)
			}
			if !strings.HasPrefix(debug.String(), "cURL Command: curl -X ") {
				t.Errorf("debug output %q lacks the cURL lines", debug.String())
			}
		})
	}
}

func TestClientRequests(t *testing.T) {
	tests := []struct {
		name      string
		call      func(c *client) error
		wantCURL  string
		wantType  string
		wantQuery string
	}{
		{"get", func(c *client) error { _, err := c.get(t.Context(), "a b", true, false, true); return err },
			"curl -X GET {ep}/v2/keys/a%20b?quorum=true&recursive=true&sorted=false", "", ""},
		{"set", func(c *client) error {
			_, err := c.set(t.Context(), "/a/../b/", "x y", setOptions{prevValue: "p", prevIndex: 4, prevExist: prevExists, ttl: 5 * time.Second})
			return err
		}, `curl -X PUT {ep}/v2/keys/b/?prevExist=true&prevIndex=4&prevValue=p -d "ttl=5&value=x+y"`, formType, ""},
		{"set dir", func(c *client) error {
			_, err := c.set(t.Context(), "/d", "", setOptions{dir: true, prevValue: "ignored"})
			return err
		},
			`curl -X PUT {ep}/v2/keys/d?dir=true -d ""`, formType, ""},
		{"in order", func(c *client) error { _, err := c.createInOrder(t.Context(), "/q", "v", 0); return err },
			`curl -X POST {ep}/v2/keys/q -d "value=v"`, formType, ""},
		{"delete", func(c *client) error {
			_, err := c.del(t.Context(), "/d", deleteOptions{dir: true, recursive: true, prevIndex: 2})
			return err
		}, "curl -X DELETE {ep}/v2/keys/d?dir=true&prevIndex=2&recursive=true", formType, ""},
		{"watch", func(c *client) error { _, err := c.watch("/w", 9, true).next(t.Context()); return err },
			"curl -X GET {ep}/v2/keys/w?recursive=true&wait=true&waitIndex=10", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeKeys{status: 200, body: okBody}
			ep := serve(t, f)
			c, debug := newTestClient(t, ep)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			want := "cURL Command: " + strings.ReplaceAll(tt.wantCURL, "{ep}", ep) + "\n"
			if debug.String() != want {
				t.Errorf("debug = %q, want %q", debug.String(), want)
			}
			if got := f.seen[0].Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
		})
	}
}

func TestClientAnswers(t *testing.T) {
	tests := []struct {
		name      string
		f         *fakeKeys
		wantIndex uint64
		wantErr   error
		wantText  string
	}{
		{"index header", &fakeKeys{status: 200, body: okBody, header: map[string]string{"X-Etcd-Index": "12"}}, 12, nil, ""},
		{"created", &fakeKeys{status: 201, body: okBody}, 0, nil, ""},
		{"empty body", &fakeKeys{status: 200}, 0, errEmptyBody, ""},
		{"not json", &fakeKeys{status: 200, body: "<html>"}, 0, errInvalidJSON, ""},
		{"error not json", &fakeKeys{status: 404, body: "404 page not found"}, 0, errInvalidJSON, ""},
		{"error", &fakeKeys{status: 412, body: `{"errorCode":101,"message":"Compare failed","cause":"[a != b]","index":3}`}, 0, nil, "101: Compare failed ([a != b]) [3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, serve(t, tt.f))
			resp, err := c.get(t.Context(), "/a", false, false, false)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("get error = %v, want %v", err, tt.wantErr)
				}
			case tt.wantText != "":
				if err == nil || err.Error() != tt.wantText {
					t.Fatalf("get error = %v, want %q", err, tt.wantText)
				}
			case err != nil:
				t.Fatal(err)
			case resp.Index != tt.wantIndex || resp.Node.Value != "v":
				t.Errorf("get = index %d value %q, want index %d value v", resp.Index, resp.Node.Value, tt.wantIndex)
			}
		})
	}
}

// stall answers only when the request ends (or after release for a watch).
type stall struct{ release chan struct{} }

func (s stall) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.release:
		fmt.Fprint(w, okBody)
	}
}

func TestClientTimeouts(t *testing.T) {
	s := stall{release: make(chan struct{})}
	ep := serve(t, s)
	c, _ := newTestClient(t, ep)
	c.cfg.headerTimeout = 50 * time.Millisecond

	_, err := c.get(t.Context(), "/a", false, false, false)
	var ce *clusterError
	if !errors.As(err, &ce) || ce.errs[0].Error() != "client: endpoint "+ep+" exceeded header timeout" {
		t.Errorf("get on a stalled endpoint = %v, want a header timeout", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	c.cfg.headerTimeout = time.Minute
	if _, err := c.get(ctx, "/a", false, false, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("get past the total timeout = %v, want %v", err, context.DeadlineExceeded)
	}

	// Watches wait without a header timeout.
	c.cfg.headerTimeout = 10 * time.Millisecond
	done := make(chan error, 1)
	go func() {
		_, err := c.watch("/a", 0, false).next(t.Context())
		done <- err
	}()
	time.AfterFunc(100*time.Millisecond, func() { close(s.release) })
	if err := <-done; err != nil {
		t.Errorf("watch = %v, want its event", err)
	}
}

func TestClientRedirect(t *testing.T) {
	target := &fakeKeys{status: 200, body: okBody}
	to := serve(t, target)
	from := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	c, debug := newTestClient(t, from)
	if _, err := c.get(t.Context(), "/a", false, false, false); err != nil {
		t.Fatal(err)
	}
	if len(target.seen) != 1 || !strings.Contains(debug.String(), "curl -X GET "+to+"/v2/keys/a?") {
		t.Errorf("redirect not followed: target saw %d requests, debug %q", len(target.seen), debug.String())
	}
	// Like the reference, a Location is used as it is: it must be absolute.
	loop := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	c, _ = newTestClient(t, loop)
	if _, err := c.get(t.Context(), "/a", false, false, false); err == nil || !strings.Contains(err.Error(), errTooManyRedirects.Error()) {
		t.Errorf("redirect loop = %v, want %v", err, errTooManyRedirects)
	}
}

func TestClientSync(t *testing.T) {
	members := func(urls ...string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v2/members" {
				http.NotFound(w, r)
				return
			}
			var ms []string
			for i, u := range urls {
				ms = append(ms, fmt.Sprintf(`{"id":"%d","name":"n%d","peerURLs":[],"clientURLs":["%s"]}`, i, i, u))
			}
			fmt.Fprintf(w, `{"members":[%s]}`, strings.Join(ms, ","))
		})
	}
	tests := []struct {
		name    string
		urls    []string
		want    []string
		wantErr error
	}{
		{"new endpoints", []string{"http://a:1", "http://b:2"}, []string{"http://a:1", "http://b:2"}, nil},
		{"none published", nil, nil, errNoEndpoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := serve(t, members(tt.urls...))
			c, _ := newTestClient(t, ep)
			err := c.Sync(t.Context())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Sync = %v, want %v", err, tt.wantErr)
			}
			want := tt.want
			if want == nil {
				want = []string{ep}
			}
			if got := c.Endpoints(); !slices.Equal(got, want) {
				t.Errorf("Endpoints after Sync = %q, want %q", got, want)
			}
		})
	}
	t.Run("same set keeps the pinned endpoint", func(t *testing.T) {
		var a, b string
		a = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { members(b, a).ServeHTTP(w, r) }))
		b = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { members(b, a).ServeHTTP(w, r) }))
		c, _ := newTestClient(t, a, b)
		c.pinned = 1
		if err := c.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := c.Endpoints(); !slices.Equal(got, []string{a, b}) || c.pinned != 1 {
			t.Errorf("Endpoints = %q pinned %d, want %q pinned 1", got, c.pinned, []string{a, b})
		}
	})
}

func TestClientCredentials(t *testing.T) {
	f := &fakeKeys{status: 200, body: okBody}
	c, _ := newTestClient(t, serve(t, f))
	c.cfg.username, c.cfg.password = "root", "pw"
	if _, err := c.get(t.Context(), "/a", false, false, false); err != nil {
		t.Fatal(err)
	}
	if u, p, ok := f.seen[0].BasicAuth(); !ok || u != "root" || p != "pw" {
		t.Errorf("basic auth = %q, %q, %v, want root, pw", u, p, ok)
	}
}

func TestIsConnectionError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", refused, true},
		{"read", &net.OpError{Op: "read", Err: errors.New("reset")}, true},
		{"write wrapping refused", &net.OpError{Op: "write", Err: syscall.ECONNREFUSED}, true},
		{"deadline", context.DeadlineExceeded, true},
		{"cluster of connection errors", &clusterError{errs: []error{refused, context.DeadlineExceeded}}, true},
		{"cluster with a header timeout", &clusterError{errs: []error{refused, errors.New("client: endpoint x exceeded header timeout")}}, false},
		{"status", statusError(404), false},
		{"no endpoints", errNoEndpoints, false},
	}
	for _, tt := range tests {
		if got := isConnectionError(tt.err); got != tt.want {
			t.Errorf("isConnectionError(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
