package discovery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// token is the directory every test registers under, reached through a keys-API URL.
const tokenDir = "/_etcd/registry/tok"

func testConfig(t *testing.T, base, key, value string) Config {
	return Config{
		URL:    base + "/v2/keys" + tokenDir,
		Key:    key,
		Value:  value,
		Logger: zerolog.New(zerolog.NewTestWriter(t)),
	}
}

func TestJoinErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakeKeys)
		wantIs  error
		wantMsg string // exact error text when set
		wantPUT bool   // whether a registration was attempted
	}{
		{
			name:    "size missing",
			setup:   func(f *fakeKeys) { f.set("/other", "x") },
			wantIs:  ErrSizeNotFound,
			wantMsg: "100: Key not found (" + tokenDir + "/_config/size) [1]",
		},
		{
			name:   "size not a number",
			setup:  func(f *fakeKeys) { f.set(tokenDir+"/_config/size", "abc") },
			wantIs: ErrBadSizeKey, wantMsg: "discovery: size key is bad",
		},
		{
			name:   "size negative",
			setup:  func(f *fakeKeys) { f.set(tokenDir+"/_config/size", "-1") },
			wantIs: ErrBadSizeKey,
		},
		{
			name:   "size zero",
			setup:  func(f *fakeKeys) { f.set(tokenDir+"/_config/size", "0") },
			wantIs: ErrBadSizeKey,
		},
		{
			name: "not a keys API",
			setup: func(f *fakeKeys) {
				f.intercept = func(*http.Request) (bool, int, string) { return true, 404, "404 page not found\n" }
			},
			wantIs: ErrBadDiscoveryEndpoint, wantMsg: "discovery: bad discovery endpoint",
		},
		{
			name: "full before registering",
			setup: func(f *fakeKeys) {
				f.set(tokenDir+"/_config/size", "1")
				f.set(tokenDir+"/aaa", "other=http://127.0.0.1:2")
			},
			wantIs: ErrFullCluster, wantMsg: "discovery: cluster is full",
		},
		{
			name: "full after registering",
			setup: func(f *fakeKeys) {
				f.set(tokenDir+"/_config/size", "2")
				f.set(tokenDir+"/aaa", "a=http://127.0.0.1:2")
				// Someone else registers between our check and our registration.
				f.beforeCreate = func(string) { f.set(tokenDir+"/bbb", "b=http://127.0.0.1:3") }
			},
			wantIs: ErrFullCluster, wantPUT: true,
		},
		{
			name: "duplicate id",
			setup: func(f *fakeKeys) {
				f.set(tokenDir+"/_config/size", "3")
				f.set(tokenDir+"/self", "me=http://127.0.0.1:1")
			},
			wantIs: ErrDuplicateID, wantMsg: "discovery: found duplicate id", wantPUT: true,
		},
		{
			name: "duplicate name",
			setup: func(f *fakeKeys) {
				f.set(tokenDir+"/_config/size", "2")
				f.set(tokenDir+"/aaa", "me=http://127.0.0.1:2")
			},
			wantIs: ErrDuplicateName, wantMsg: "discovery: found duplicate name", wantPUT: true,
		},
		{
			name: "invalid URL",
			setup: func(f *fakeKeys) {
				f.set(tokenDir+"/_config/size", "2")
				f.set(tokenDir+"/aaa", "garbage")
			},
			wantIs: ErrInvalidURL, wantMsg: "discovery: invalid URL", wantPUT: true,
		},
		{
			name: "invalid URL scheme",
			setup: func(f *fakeKeys) {
				f.set(tokenDir+"/_config/size", "2")
				f.set(tokenDir+"/aaa", "x=ftp://h:1")
			},
			wantIs: ErrInvalidURL, wantPUT: true,
		},
		{
			name: "registration refused",
			setup: func(f *fakeKeys) {
				f.set(tokenDir+"/_config/size", "2")
				f.intercept = func(r *http.Request) (bool, int, string) {
					if r.Method == http.MethodPut {
						return true, 403, `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}`
					}
					return false, 0, ""
				}
			},
			wantMsg: "110: The request requires user authentication (Insufficient credentials) [0]", wantPUT: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKeys("/v2/keys")
			base := f.serve(t)
			tt.setup(f)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			_, err := Join(ctx, testConfig(t, base, "self", "me=http://127.0.0.1:1"))
			if err == nil {
				t.Fatalf("Join = nil error, want %v", tt.wantIs)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Join error = %v, want errors.Is %v", err, tt.wantIs)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("Join error text = %q, want %q", err.Error(), tt.wantMsg)
			}
			put := false
			for _, r := range f.log() {
				put = put || strings.HasPrefix(r, "PUT ")
			}
			if put != tt.wantPUT {
				t.Errorf("registration attempted = %v, want %v (requests %q)", put, tt.wantPUT, f.log())
			}
		})
	}
}

func TestJoinFullReturnsFirstSizeMembers(t *testing.T) {
	f := newFakeKeys("/v2/keys")
	base := f.serve(t)
	f.set(tokenDir+"/_config/size", "2")
	f.set(tokenDir+"/zzz", "b=http://127.0.0.1:2") // created first, listed last
	f.set(tokenDir+"/aaa", "c=http://127.0.0.1:3")
	f.set(tokenDir+"/mmm", "d=http://127.0.0.1:4")
	cluster, err := Join(t.Context(), testConfig(t, base, "self", "me=http://127.0.0.1:1"))
	if !errors.Is(err, ErrFullCluster) {
		t.Fatalf("Join error = %v, want %v", err, ErrFullCluster)
	}
	if want := "b=http://127.0.0.1:2,c=http://127.0.0.1:3"; cluster != want {
		t.Errorf("Join cluster = %q, want %q", cluster, want)
	}
	got, err := GetCluster(t.Context(), testConfig(t, base, "", ""))
	if err != nil || got != cluster {
		t.Errorf("GetCluster = %q, %v; want %q", got, err, cluster)
	}
}

// TestJoinThreeMembers runs three joins at once against one token, as three members
// started together do: each registers, waits, and all agree on one cluster in
// registration order.
func TestJoinThreeMembers(t *testing.T) {
	for _, shape := range []struct{ name, prefix, url string }{
		{"keys API", "/v2/keys", "/v2/keys" + tokenDir},
		{"discovery service", "", tokenDir},
	} {
		t.Run(shape.name, func(t *testing.T) {
			f := newFakeKeys(shape.prefix)
			base := f.serve(t)
			f.set(tokenDir+"/_config/size", "3")
			// Noise under the token that must not count as members.
			f.set(tokenDir+"/_config/note", "x")
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			results := make([]string, 3)
			errs := make([]error, 3)
			for i := range 3 {
				wg.Go(func() {
					cfg := testConfig(t, base, fmt.Sprintf("%x", 100+i), fmt.Sprintf("n%d=http://127.0.0.1:%d", i, 7000+i))
					cfg.URL = base + shape.url
					results[i], errs[i] = Join(ctx, cfg)
				})
			}
			wg.Wait()
			for i := range 3 {
				if errs[i] != nil {
					t.Fatalf("Join %d: %v", i, errs[i])
				}
				if results[i] != results[0] {
					t.Errorf("Join %d = %q, Join 0 = %q", i, results[i], results[0])
				}
			}
			// The cluster is the registrations in creation order.
			var order []string
			for _, r := range f.log() {
				if strings.HasPrefix(r, "PUT ") {
					order = append(order, r)
				}
			}
			for i := range 3 {
				if !strings.Contains(results[0], fmt.Sprintf("n%d=http://127.0.0.1:%d", i, 7000+i)) {
					t.Errorf("cluster %q lacks member %d", results[0], i)
				}
			}
			if len(order) != 3 {
				t.Errorf("registrations = %q, want 3", order)
			}
			// A fourth member finds the token full.
			cfg := testConfig(t, base, "ddd", "n3=http://127.0.0.1:7003")
			cfg.URL = base + shape.url
			if _, err := Join(ctx, cfg); !errors.Is(err, ErrFullCluster) {
				t.Errorf("fourth Join error = %v, want %v", err, ErrFullCluster)
			}
		})
	}
}

func TestJoinRequestsMatchTheReferenceClient(t *testing.T) {
	f := newFakeKeys("/v2/keys")
	base := f.serve(t)
	f.set(tokenDir+"/_config/size", "1")
	cluster, err := Join(t.Context(), testConfig(t, base, "8e92f74ef219c064", "a=http://127.0.0.1:24101"))
	if err != nil || cluster != "a=http://127.0.0.1:24101" {
		t.Fatalf("Join = %q, %v", cluster, err)
	}
	// The requests etcd 3.4.23 sends for the same join (recorded through a logging
	// --discovery-proxy).
	want := []string{
		"GET /v2/keys" + tokenDir + "/_config/size?quorum=false&recursive=false&sorted=false",
		"GET /v2/keys" + tokenDir + "?quorum=false&recursive=false&sorted=false",
		"PUT /v2/keys" + tokenDir + "/8e92f74ef219c064?prevExist=false",
		"GET /v2/keys" + tokenDir + "/8e92f74ef219c064?recursive=false&wait=true&waitIndex=2",
		"GET /v2/keys" + tokenDir + "/_config/size?quorum=false&recursive=false&sorted=false",
		"GET /v2/keys" + tokenDir + "?quorum=false&recursive=false&sorted=false",
	}
	got := f.log()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestJoinIgnoresEventsThatAreNotRegistrations(t *testing.T) {
	f := newFakeKeys("/v2/keys")
	base := f.serve(t)
	f.set(tokenDir+"/_config/size", "2")
	f.set(tokenDir+"/gone", "x=http://127.0.0.1:9")
	f.delete(tokenDir + "/gone")
	watching := make(chan struct{})
	var once sync.Once
	f.intercept = func(r *http.Request) (bool, int, string) {
		if r.URL.Query().Get("recursive") == "true" {
			once.Do(func() { close(watching) })
		}
		return false, 0, ""
	}
	done := make(chan error, 1)
	var cluster string
	go func() {
		var err error
		cluster, err = Join(t.Context(), testConfig(t, base, "self", "me=http://127.0.0.1:1"))
		done <- err
	}()
	<-watching
	f.set(tokenDir+"/_config/size", "2") // a config change
	f.set(tokenDir+"/sub/deep", "y")     // below a registration's level
	f.set(tokenDir+"/peer", "p=http://127.0.0.1:2")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Join did not finish")
	}
	if want := "me=http://127.0.0.1:1,p=http://127.0.0.1:2"; cluster != want {
		t.Errorf("cluster = %q, want %q", cluster, want)
	}
}

func TestJoinThroughDiscoveryProxy(t *testing.T) {
	f := newFakeKeys("/v2/keys")
	base := f.serve(t)
	f.set(tokenDir+"/_config/size", "1")
	var mu sync.Mutex
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy receives absolute request URIs.
		mu.Lock()
		proxied = append(proxied, r.Method+" "+r.RequestURI)
		mu.Unlock()
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, r.RequestURI, r.Body)
		out.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}))
	defer proxy.Close()
	for _, p := range []string{proxy.URL, strings.TrimPrefix(proxy.URL, "http://")} {
		f.delete(tokenDir + "/self")
		cfg := testConfig(t, base, "self", "me=http://127.0.0.1:1")
		cfg.Proxy = p
		if _, err := Join(t.Context(), cfg); err != nil {
			t.Fatalf("Join through proxy %q: %v", p, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(proxied) != 12 || !strings.HasPrefix(proxied[0], "GET "+base+"/v2/keys") {
		t.Errorf("proxy saw %q, want the 6 requests of each join with absolute URLs", proxied)
	}
}

func TestProxyFunc(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"", "", ""},
		{"http://p:3128", "http://p:3128", ""},
		{"p:3128", "http://p:3128", ""},
		{"socks5://p:1080", "http://socks5://p:1080", ""},
		{"https://p:443", "https://p:443", ""},
		{"%zz", "", `invalid proxy address "%zz": parse "%zz": invalid URL escape "%zz"`},
	}
	for _, tt := range tests {
		pf, err := proxyFunc(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("proxyFunc(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("proxyFunc(%q) error = %v", tt.in, err)
			continue
		}
		if tt.want == "" {
			if pf != nil {
				t.Errorf("proxyFunc(%q) set a proxy", tt.in)
			}
			continue
		}
		u, _ := pf(&http.Request{URL: &url.URL{Scheme: "http", Host: "x"}})
		if u.String() != tt.want {
			t.Errorf("proxyFunc(%q) = %s, want %s", tt.in, u, tt.want)
		}
	}
}

// TestJoinFailsWhenTheTokenGoesAway: a token whose size disappears while members wait
// (deleted, or expired by the discovery service's TTL) ends the wait with the missing
// size error instead of waiting forever.
func TestJoinFailsWhenTheTokenGoesAway(t *testing.T) {
	f := newFakeKeys("/v2/keys")
	base := f.serve(t)
	f.set(tokenDir+"/_config/size", "3")
	watching := make(chan struct{})
	var once sync.Once
	f.intercept = func(r *http.Request) (bool, int, string) {
		if r.URL.Query().Get("recursive") == "true" {
			once.Do(func() { close(watching) })
		}
		return false, 0, ""
	}
	done := make(chan error, 1)
	go func() {
		_, err := Join(t.Context(), testConfig(t, base, "self", "me=http://127.0.0.1:1"))
		done <- err
	}()
	<-watching
	f.delete(tokenDir + "/_config/size")
	select {
	case err := <-done:
		if !errors.Is(err, ErrSizeNotFound) {
			t.Errorf("Join error = %v, want %v", err, ErrSizeNotFound)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Join still waiting after its token went away")
	}
}
