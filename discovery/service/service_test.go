package service

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// fakeBackend records the requests the service sends to the keys API and answers them
// with answer (nil: 201 with an empty keys response).
type fakeBackend struct {
	mu     sync.Mutex
	reqs   []string // "METHOD path?query body"
	answer func(w http.ResponseWriter, r *http.Request, body string)
}

func (b *fakeBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.reqs = append(b.reqs, strings.TrimSpace(r.Method+" "+r.URL.RequestURI()+" "+string(body)))
	answer := b.answer
	b.mu.Unlock()
	if answer != nil {
		answer(w, r, string(body))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprint(w, `{"action":"create","node":{"key":"/x","createdIndex":1,"modifiedIndex":1}}`)
}

func (b *fakeBackend) requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.reqs)
}

// start runs the service on a real listener in front of a fake backend.
func start(t *testing.T, ttl time.Duration, answer func(http.ResponseWriter, *http.Request, string)) (string, *fakeBackend) {
	t.Helper()
	fb := &fakeBackend{answer: answer}
	backend := httptest.NewServer(fb)
	t.Cleanup(backend.Close)
	svc, err := New(Config{Backend: backend.URL, Host: "https://disc.example/", TokenTTL: ttl,
		Logger: zerolog.New(zerolog.NewTestWriter(t)), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv.URL, fb
}

func do(t *testing.T, method, u string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var tokenURLRE = regexp.MustCompile(`^https://disc\.example/([a-f0-9]{32})$`)

func TestNewToken(t *testing.T) {
	fail := func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.WriteHeader(http.StatusPreconditionFailed)
		fmt.Fprint(w, `{"errorCode":105,"message":"Key already exists","cause":"/x","index":3}`)
	}
	tests := []struct {
		name       string
		method     string
		query      string
		form       string
		ttl        time.Duration
		answer     func(http.ResponseWriter, *http.Request, string)
		wantStatus int
		wantBody   string   // for errors
		wantReqs   []string // backend requests, TOKEN for the token
	}{
		{name: "default size", method: "GET", wantStatus: 200,
			wantReqs: []string{"PUT /v2/keys/_etcd/registry/TOKEN/_config/size?prevExist=false value=3"}},
		{name: "size 5", method: "GET", query: "?size=5", wantStatus: 200,
			wantReqs: []string{"PUT /v2/keys/_etcd/registry/TOKEN/_config/size?prevExist=false value=5"}},
		{name: "size in a form", method: "POST", form: "size=7", wantStatus: 200,
			wantReqs: []string{"PUT /v2/keys/_etcd/registry/TOKEN/_config/size?prevExist=false value=7"}},
		{name: "PUT works too", method: "PUT", query: "?size=1", wantStatus: 200,
			wantReqs: []string{"PUT /v2/keys/_etcd/registry/TOKEN/_config/size?prevExist=false value=1"}},
		{name: "with a TTL", method: "GET", query: "?size=3", ttl: 90 * time.Minute, wantStatus: 200,
			wantReqs: []string{
				"PUT /v2/keys/_etcd/registry/TOKEN?dir=true&prevExist=false ttl=5400",
				"PUT /v2/keys/_etcd/registry/TOKEN/_config/size?prevExist=false value=3",
			}},
		{name: "not a number", method: "GET", query: "?size=abc", wantStatus: 400,
			wantBody: "strconv.Atoi: parsing \"abc\": invalid syntax\n"},
		{name: "zero", method: "GET", query: "?size=0", wantStatus: 400, wantBody: "size must be a positive integer\n"},
		{name: "negative", method: "GET", query: "?size=-3", wantStatus: 400, wantBody: "size must be a positive integer\n"},
		{name: "backend refuses", method: "GET", answer: fail, wantStatus: 400, wantBody: "Unable to generate token\n",
			wantReqs: []string{"PUT /v2/keys/_etcd/registry/TOKEN/_config/size?prevExist=false value=3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, fb := start(t, tt.ttl, tt.answer)
			var body io.Reader
			var hdr []string
			if tt.form != "" {
				body = strings.NewReader(tt.form)
				hdr = []string{"Content-Type", "application/x-www-form-urlencoded"}
			}
			resp, got := do(t, tt.method, base+"/new"+tt.query, body, hdr...)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("%s /new%s = %d %q, want %d", tt.method, tt.query, resp.StatusCode, got, tt.wantStatus)
			}
			token := "TOKEN"
			if tt.wantStatus == 200 {
				m := tokenURLRE.FindStringSubmatch(got)
				if m == nil {
					t.Fatalf("body %q is not a token URL under the public host", got)
				}
				token = m[1]
				if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
			} else if got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			reqs := fb.requests()
			if tt.wantStatus != 200 && tt.answer != nil {
				// the token of a failed creation is not printed: mask it
				for i := range reqs {
					reqs[i] = regexp.MustCompile(`[a-f0-9]{32}`).ReplaceAllString(reqs[i], "TOKEN")
				}
			}
			var want []string
			for _, r := range tt.wantReqs {
				want = append(want, strings.ReplaceAll(r, "TOKEN", token))
			}
			if !slices.Equal(reqs, want) {
				t.Errorf("backend requests = %q, want %q", reqs, want)
			}
		})
	}
}

func TestTokensAreRandom(t *testing.T) {
	base, _ := start(t, 0, nil)
	seen := map[string]bool{}
	for range 20 {
		_, got := do(t, "GET", base+"/new", nil)
		if seen[got] || !tokenURLRE.MatchString(got) {
			t.Fatalf("token URL %q repeated or malformed", got)
		}
		seen[got] = true
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name       string
		failOn     string // method the backend refuses
		wantStatus int
		wantBody   string
	}{
		{"ok", "", 200, "OK"},
		{"cannot create", "PUT", 400, "health failed to setupToken\n"},
		{"cannot delete", "DELETE", 400, "health failed to deleteToken\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, fb := start(t, 0, func(w http.ResponseWriter, r *http.Request, _ string) {
				if r.Method == tt.failOn {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				w.WriteHeader(http.StatusOK)
				fmt.Fprint(w, `{"action":"x","node":{"key":"/x"}}`)
			})
			resp, got := do(t, "GET", base+"/health", nil)
			if resp.StatusCode != tt.wantStatus || got != tt.wantBody {
				t.Errorf("GET /health = %d %q, want %d %q", resp.StatusCode, got, tt.wantStatus, tt.wantBody)
			}
			reqs := fb.requests()
			if len(reqs) == 0 || !regexp.MustCompile(`^PUT /v2/keys/_etcd/registry/[a-f0-9]{32}/_config/size\?prevExist=false value=0$`).MatchString(reqs[0]) {
				t.Errorf("first backend request %q, want the size-0 token", reqs)
			}
			if tt.failOn != "PUT" {
				tok := reqs[0][len("PUT /v2/keys/_etcd/registry/"):][:32]
				if len(reqs) != 2 || reqs[1] != "DELETE /v2/keys/_etcd/registry/"+tok+"?recursive=true" {
					t.Errorf("backend requests %q, want the token deleted", reqs)
				}
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	base, fb := start(t, 0, func(w http.ResponseWriter, r *http.Request, _ string) {
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"action":"get","node":{"key":"/x"}}`)
	})
	tok := strings.Repeat("ab", 16)
	tests := []struct {
		method, path string
		wantStatus   int
		wantBackend  string // the backend path the request reaches, "" for none
	}{
		{"GET", "/" + tok, 200, "/v2/keys/_etcd/registry/" + tok},
		{"PUT", "/" + tok, 200, "/v2/keys/_etcd/registry/" + tok},
		{"GET", "/" + tok + "/", 200, "/v2/keys/_etcd/registry/" + tok},
		{"PUT", "/" + tok + "/", 200, "/v2/keys/_etcd/registry/" + tok},
		{"GET", "/" + tok + "/8e92f74ef219c064", 200, "/v2/keys/_etcd/registry/" + tok + "/8e92f74ef219c064"},
		{"PUT", "/" + tok + "/8e92f74ef219c064", 200, "/v2/keys/_etcd/registry/" + tok + "/8e92f74ef219c064"},
		{"DELETE", "/" + tok + "/8e92f74ef219c064", 200, "/v2/keys/_etcd/registry/" + tok + "/8e92f74ef219c064"},
		{"GET", "/" + tok + "/_config/size", 200, "/v2/keys/_etcd/registry/" + tok + "/_config/size"},
		{"GET", "/" + tok + "/_config", 200, "/v2/keys/_etcd/registry/" + tok + "/_config"},
		{"POST", "/" + tok, 405, ""},
		{"DELETE", "/" + tok, 405, ""},
		{"PUT", "/" + tok + "/_config/size", 405, ""},
		{"GET", "/" + strings.ToUpper(tok), 404, ""},
		{"GET", "/" + tok[:31], 404, ""},
		{"GET", "/" + tok + "0", 404, ""},
		{"GET", "/" + tok + "/a/b/c", 404, ""},
		{"GET", "/v2/keys/", 404, ""},
	}
	for _, tt := range tests {
		before := len(fb.requests())
		resp, body := do(t, tt.method, base+tt.path, nil)
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("%s %s = %d %q, want %d", tt.method, tt.path, resp.StatusCode, body, tt.wantStatus)
		}
		reqs := fb.requests()[before:]
		switch {
		case tt.wantBackend == "" && len(reqs) != 0:
			t.Errorf("%s %s reached the backend: %q", tt.method, tt.path, reqs)
		case tt.wantBackend != "" && (len(reqs) != 1 || reqs[0] != tt.method+" "+tt.wantBackend):
			t.Errorf("%s %s reached the backend as %q, want %s %s", tt.method, tt.path, reqs, tt.method, tt.wantBackend)
		}
	}
	resp, body := do(t, "GET", base+"/", nil)
	if resp.StatusCode != 301 || resp.Header.Get("Location") != DocsURL {
		t.Errorf("GET / = %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body = do(t, "GET", base+"/robots.txt", nil); resp.StatusCode != 200 || body != "User-agent: *\nDisallow: /" {
		t.Errorf("GET /robots.txt = %d %q", resp.StatusCode, body)
	}
	do(t, "GET", base+"/new", nil)
	do(t, "GET", base+"/new?size=x", nil)
	_, metrics := do(t, "GET", base+"/metrics", nil)
	for _, want := range []string{
		`endpoint_new_requests_total{code="200",method="GET"} 1`,
		`endpoint_new_requests_total{code="400",method="GET"} 1`,
		`endpoint_token_requests_total{code="200",method="PUT"} 3`,
		`endpoint_token_requests_total{code="200",method="DELETE"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
}

func TestProxyIsTransparent(t *testing.T) {
	tok := strings.Repeat("0f", 16)
	var got *http.Request
	var gotBody string
	base, _ := start(t, 0, func(w http.ResponseWriter, r *http.Request, body string) {
		got, gotBody = r, body
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Index", "42")
		w.Header().Set("X-Raft-Term", "7")
		w.WriteHeader(http.StatusPreconditionFailed)
		fmt.Fprint(w, `{"errorCode":105,"message":"Key already exists","cause":"/_etcd/registry/`+tok+`/1","index":42}`+"\n")
	})
	resp, body := do(t, "PUT", base+"/"+tok+"/1?prevExist=false&x=%2F", strings.NewReader("value=a%3Dhttp%3A%2F%2F127.0.0.1%3A2380"),
		"Content-Type", "application/x-www-form-urlencoded", "X-Custom", "kept")
	if got.Method != "PUT" || got.URL.Path != "/v2/keys/_etcd/registry/"+tok+"/1" || got.URL.RawQuery != "prevExist=false&x=%2F" {
		t.Errorf("backend got %s %s?%s", got.Method, got.URL.Path, got.URL.RawQuery)
	}
	if gotBody != "value=a%3Dhttp%3A%2F%2F127.0.0.1%3A2380" || got.Header.Get("X-Custom") != "kept" ||
		got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("backend got body %q headers %v", gotBody, got.Header)
	}
	if resp.StatusCode != 412 || resp.Header.Get("X-Etcd-Index") != "42" || resp.Header.Get("X-Raft-Term") != "7" ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("client got %d %v", resp.StatusCode, resp.Header)
	}
	if !strings.HasPrefix(body, `{"errorCode":105,`) {
		t.Errorf("client got body %q", body)
	}
}

func TestProxyStreamsWatches(t *testing.T) {
	tok := strings.Repeat("0f", 16)
	second := make(chan struct{})
	base, _ := start(t, 0, func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, `{"action":"create","node":{"key":"/a","value":"1"}}`)
		w.(http.Flusher).Flush()
		select {
		case <-second:
		case <-r.Context().Done():
			return
		}
		fmt.Fprintln(w, `{"action":"create","node":{"key":"/b","value":"2"}}`)
	})
	resp, err := http.Get(base + "/" + tok + "?wait=true&recursive=true&stream=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	// The first event arrives while the backend still holds the response open.
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, `"key":"/a"`) {
		t.Fatalf("first streamed event = %q, %v", line, err)
	}
	close(second)
	if line, err = br.ReadString('\n'); err != nil || !strings.Contains(line, `"key":"/b"`) {
		t.Fatalf("second streamed event = %q, %v", line, err)
	}
}

func TestProxyBackendDown(t *testing.T) {
	svc, err := New(Config{Backend: "http://127.0.0.1:1", Host: "http://h", Logger: zerolog.New(zerolog.NewTestWriter(t)),
		Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	// A 5xx: discovery clients retry it.
	if resp, _ := do(t, "GET", srv.URL+"/"+strings.Repeat("0f", 16), nil); resp.StatusCode != 500 {
		t.Errorf("token GET with the backend down = %d, want 500", resp.StatusCode)
	}
}

func TestHostOnlyURL(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{"http://127.0.0.1:2379", "http://127.0.0.1:2379", ""},
		{"https://discovery.etcd.io/", "https://discovery.etcd.io", ""},
		{"http://h:1/v2/keys", "", "Expected url without path (/v2/keys)"},
		{"http://h:1?a=b", "", "Expected url without query (?a=b)"},
		{"http://h:1#frag", "", "Expected url without fragment (frag)"},
		{"h:1", "", "Expected hostname (none given)"},
		{"ftp://h:1", "", "Expected an http or https url (ftp://h:1)"},
		{"http://%zz", "", `Invalid url given: parse "http://%zz": invalid URL escape "%zz"`},
	}
	for _, tt := range tests {
		u, err := HostOnlyURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("HostOnlyURL(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("HostOnlyURL(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}

func TestStatusAndCompletion(t *testing.T) {
	tok := strings.Repeat("1a", 16)
	var mu sync.Mutex
	registered := 1
	listing := func() string {
		mu.Lock()
		defer mu.Unlock()
		// _config is hidden: listings leave it out.
		var nodes []string
		vals := []string{
			`{"key":"/_etcd/registry/` + tok + `/bbb","value":"n1=http://127.0.0.1:1","createdIndex":7}`,
			`{"key":"/_etcd/registry/` + tok + `/aaa","value":"n2=http://127.0.0.1:2,n2=http://127.0.0.1:3","createdIndex":9}`,
			`{"key":"/_etcd/registry/` + tok + `/ccc","value":"n3=http://127.0.0.1:4","createdIndex":11}`,
		}
		nodes = append(nodes, vals[:registered]...)
		return `{"action":"get","node":{"key":"/_etcd/registry/` + tok + `","dir":true,"expiration":"2030-01-02T03:04:05Z","ttl":100,"nodes":[` + strings.Join(nodes, ",") + `],"createdIndex":4}}`
	}
	base, fb := start(t, time.Hour, func(w http.ResponseWriter, r *http.Request, _ string) {
		switch {
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, tok+"/_config/size"):
			w.WriteHeader(200)
			fmt.Fprint(w, `{"action":"get","node":{"key":"/_etcd/registry/`+tok+`/_config/size","value":"2","createdIndex":5}}`)
		case r.Method == "GET" && strings.Contains(r.URL.Path, tok):
			w.WriteHeader(200)
			fmt.Fprint(w, listing())
		case r.Method == "GET":
			w.WriteHeader(404)
			fmt.Fprint(w, `{"errorCode":100,"message":"Key not found","cause":"/_etcd/registry/ffff","index":12}`)
		case r.Method == "PUT":
			mu.Lock()
			if strings.HasSuffix(r.URL.Path, "/aaa") || strings.HasSuffix(r.URL.Path, "/ccc") {
				registered++
			}
			mu.Unlock()
			w.WriteHeader(201)
			fmt.Fprint(w, `{"action":"create","node":{"key":"/x"}}`)
		}
	})
	resp, body := do(t, "GET", base+"/"+tok+"?status", nil)
	want := `{"token":"` + tok + `","size":2,"registered":1,"state":"waiting","members":[{"id":"bbb","name":"n1","peerURLs":["http://127.0.0.1:1"],"createdIndex":7}],"expiration":"2030-01-02T03:04:05Z","ttl":100}` + "\n"
	if resp.StatusCode != 200 || body != want {
		t.Errorf("status = %d\n%s\nwant\n%s", resp.StatusCode, body, want)
	}
	// The second registration completes the token: the service removes its TTL.
	before := len(fb.requests())
	do(t, "PUT", base+"/"+tok+"/aaa?prevExist=false", strings.NewReader("value=x"), "Content-Type", "application/x-www-form-urlencoded")
	reqs := fb.requests()[before:]
	wantReqs := []string{
		"PUT /v2/keys/_etcd/registry/" + tok + "/aaa?prevExist=false value=x",
		"GET /v2/keys/_etcd/registry/" + tok + "?recursive=true",
		"GET /v2/keys/_etcd/registry/" + tok + "/_config/size",
		"PUT /v2/keys/_etcd/registry/" + tok + "?dir=true&prevExist=true",
	}
	if !slices.Equal(reqs, wantReqs) {
		t.Errorf("backend requests after the completing registration = %q, want %q", reqs, wantReqs)
	}
	// A third member finds the token full: it shows as an extra registration.
	do(t, "PUT", base+"/"+tok+"/ccc?prevExist=false", strings.NewReader("value=x"), "Content-Type", "application/x-www-form-urlencoded")
	_, body = do(t, "GET", base+"/"+tok+"?status", nil)
	for _, w := range []string{`"registered":3`, `"state":"complete"`,
		`{"id":"aaa","name":"n2","peerURLs":["http://127.0.0.1:2","http://127.0.0.1:3"],"createdIndex":9}]`,
		`"extra":[{"id":"ccc","name":"n3"`} {
		if !strings.Contains(body, w) {
			t.Errorf("status lacks %s: %s", w, body)
		}
	}
	// An unknown token: the backend's 404.
	resp, body = do(t, "GET", base+"/"+strings.Repeat("ff", 16)+"?status", nil)
	if resp.StatusCode != 404 || !strings.HasPrefix(body, `{"errorCode":100`) {
		t.Errorf("status of an unknown token = %d %s", resp.StatusCode, body)
	}
}
