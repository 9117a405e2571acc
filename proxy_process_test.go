package main

// Process-level tests of proxy mode (issue #6 item 4): the built binary with --proxy in
// front of three members, and the same requests through the reference's proxy in front
// of a reference cluster.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// initialCluster is c's --initial-cluster value.
func (c *cluster) initialCluster() string {
	var ic []string
	for i, n := range c.names {
		ic = append(ic, n+"="+c.peers[i])
	}
	return strings.Join(ic, ",")
}

// newProxy prepares (does not start) a proxy process of bin in front of c. The reference
// needs no --advertise-client-urls in proxy mode, and neither do we.
func newProxy(t *testing.T, bin string, c *cluster, mode string, extra ...string) *member {
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	dir := filepath.Join(t.TempDir(), "proxy")
	args := append([]string{"--proxy", mode, "--data-dir", dir, "--listen-client-urls", client,
		"--initial-cluster", c.initialCluster()}, extra...)
	return &member{t: t, bin: bin, args: args, dataDir: dir, clientURL: client}
}

// proxyEndpoints reads the proxy's own /v2/config/local/proxy.
func proxyEndpoints(t *testing.T, p *member) []string {
	t.Helper()
	var v struct{ Endpoints []string }
	if code := getJSON(t, p, "/v2/config/local/proxy", &v); code != 200 {
		t.Fatalf("GET /v2/config/local/proxy = %d", code)
	}
	return v.Endpoints
}

// waitUntil polls cond until it holds or d passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamWatch opens a stream=true watch and delivers its events line by line.
func streamWatch(t *testing.T, ctx context.Context, url string) (<-chan string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("watch %s: %v", url, err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" {
				lines <- l
			}
		}
	}()
	return lines, resp
}

func nextLine(t *testing.T, lines <-chan string, what string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("%s: watch ended", what)
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event within 10s", what)
	}
	return ""
}

func TestProxyProcessServesThroughMemberFailure(t *testing.T) {
	bin := ourBinary(t)
	c := newCluster(t, bin, 3)
	c.startAll()
	p := newProxy(t, bin, c, "on", "--proxy-refresh-interval", "500", "--proxy-failure-wait", "60000")
	p.startReady()

	// Writes and reads through the proxy; a member sees them.
	if code, body := put(p, "/px", "1", ""); code != 201 {
		t.Fatalf("PUT via proxy = %d %s", code, body)
	}
	var r keysResp
	if code := getJSON(t, p, "/v2/keys/px", &r); code != 200 || r.Node.Value != "1" {
		t.Fatalf("GET via proxy = %d %+v", code, r)
	}
	if code := getJSON(t, c.members[2], "/v2/keys/px?quorum=true", &r); code != 200 || r.Node.Value != "1" {
		t.Fatalf("GET via member = %d %+v", code, r)
	}
	var ms struct{ Members []struct{ Name string } }
	if code := getJSON(t, p, "/v2/members", &ms); code != 200 || len(ms.Members) != 3 {
		t.Errorf("GET /v2/members via proxy = %d %+v", code, ms)
	}

	// A streamed watch through the proxy receives each event as it happens.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lines, resp := streamWatch(t, ctx, p.clientURL+"/v2/keys/sw?wait=true&stream=true")
	defer resp.Body.Close()
	for i := range 2 {
		v := fmt.Sprint("v", i)
		if code, body := put(c.members[i], "/sw", v, ""); code/100 != 2 {
			t.Fatalf("PUT on member = %d %s", code, body)
		}
		if l := nextLine(t, lines, "stream event "+v); !strings.Contains(l, `"value":"`+v+`"`) {
			t.Fatalf("stream event = %s, want value %s", l, v)
		}
	}

	// Kill the member the proxy forwards to (the first available endpoint): the next
	// requests fail over, and the dead member is held out of the list.
	eps := proxyEndpoints(t, p)
	if len(eps) != 3 {
		t.Fatalf("proxy endpoints = %q, want 3", eps)
	}
	victim := -1
	for i, m := range c.members {
		if m.clientURL == eps[0] {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("first endpoint %s is no member's client URL", eps[0])
	}
	c.members[victim].kill()
	if code := getJSON(t, p, "/v2/keys/px", &r); code != 200 || r.Node.Value != "1" {
		t.Fatalf("GET via proxy right after the kill = %d %+v", code, r)
	}
	if got := proxyEndpoints(t, p); slices.Contains(got, eps[0]) || len(got) != 2 {
		t.Errorf("endpoints after the failure = %q, want the two live members", got)
	}
	// Writes go on once the survivors have a leader (the victim may have led).
	waitUntil(t, 20*time.Second, "write via proxy after the kill", func() bool {
		code, _ := put(p, "/after", "x", "")
		return code == 201
	})
	// A long-poll watch through the proxy sees a write made on a surviving member.
	idx := storeIndex(t, p) + 1
	got := make(chan keysResp, 1)
	go func() {
		var w keysResp
		getJSON(t, p, fmt.Sprintf("/v2/keys/lw?wait=true&waitIndex=%d", idx), &w)
		got <- w
	}()
	survivor := c.members[(victim+1)%3]
	if code, body := put(survivor, "/lw", "seen", ""); code != 201 {
		t.Fatalf("PUT on survivor = %d %s", code, body)
	}
	select {
	case w := <-got:
		if w.Action != "set" || w.Node.Value != "seen" {
			t.Errorf("long-poll watch via proxy = %+v", w)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("long-poll watch via proxy got nothing")
	}

	// The learned cluster is saved in the reference's format.
	b, err := os.ReadFile(filepath.Join(p.dataDir, "proxy", "cluster"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(struct{ PeerURLs []string }{sortedCopy(c.peers)})
	if string(b) != string(want) {
		t.Errorf("cluster file = %s, want %s", b, want)
	}

	// SIGTERM with a watch still open: a clean, prompt exit.
	if code := p.stop(); code != 0 {
		t.Errorf("proxy exit code after SIGTERM = %d, want 0", code)
	}

	// Restarted without --proxy and with a useless --initial-cluster, the data dir makes
	// it a proxy again and the cluster file leads it to the members.
	dead := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	again := &member{t: t, bin: bin, dataDir: p.dataDir, clientURL: p.clientURL, args: []string{
		"--data-dir", p.dataDir, "--listen-client-urls", p.clientURL, "--advertise-client-urls", p.clientURL,
		"--initial-cluster", "x=" + dead,
	}}
	again.startReady()
	if code := getJSON(t, again, "/v2/keys/lw", &r); code != 200 || r.Node.Value != "seen" {
		t.Errorf("GET via the restarted proxy = %d %+v", code, r)
	}
	if !strings.Contains(again.out.String(), "proxy using peer URLs from cluster file") {
		t.Errorf("restart log lacks the cluster file line:\n%s", again.out.String())
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func TestProxyProcessReadonly(t *testing.T) {
	bin := ourBinary(t)
	c := newCluster(t, bin, 3)
	c.startAll()
	if code, body := put(c.members[0], "/ro", "1", ""); code != 201 {
		t.Fatalf("PUT on member = %d %s", code, body)
	}
	p := newProxy(t, bin, c, "readonly")
	p.startReady()
	tests := []struct {
		method, path string
		wantStatus   int
	}{
		{"GET", "/v2/keys/ro", 200},
		{"PUT", "/v2/keys/ro", 501},
		{"POST", "/v2/keys/q", 501},
		{"DELETE", "/v2/keys/ro", 501},
		{"HEAD", "/v2/keys/ro", 501},
		{"OPTIONS", "/v2/keys/ro", 501},
	}
	for _, tt := range tests {
		code, body := p.do(tt.method, tt.path, nil)
		if code != tt.wantStatus {
			t.Errorf("%s %s via readonly proxy = %d, want %d", tt.method, tt.path, code, tt.wantStatus)
		}
		if code == 501 && body != "" {
			t.Errorf("%s %s: 501 body %q, want empty", tt.method, tt.path, body)
		}
	}
	var r keysResp
	if code := getJSON(t, c.members[1], "/v2/keys/ro?quorum=true", &r); code != 200 || r.Node.Value != "1" {
		t.Errorf("value after refused writes = %d %+v, want untouched", code, r)
	}
}

func TestProxyProcessBadConfiguration(t *testing.T) {
	bin := ourBinary(t)
	dir := t.TempDir()
	both := filepath.Join(dir, "both")
	os.MkdirAll(filepath.Join(both, "member"), 0o700)
	os.MkdirAll(filepath.Join(both, "proxy"), 0o700)
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		// The reference's wording for bad choices.
		{"bad mode", []string{"--proxy", "bogus"}, nil, `etcd: invalid value "bogus" for flag -proxy: invalid value`},
		{"bad mode in env", nil, []string{"ETCD_PROXY=maybe"}, `etcd: invalid value "maybe" for ETCD_PROXY: invalid value`},
		{"bad number", []string{"--proxy", "on", "--proxy-failure-wait", "5s"}, nil, `etcd: invalid value "5s" for flag -proxy-failure-wait: parse error`},
		{"zero refresh", []string{"--proxy", "on", "--proxy-refresh-interval", "0"}, nil, "etcd: --proxy-refresh-interval must be positive"},
		{"member and proxy dirs", []string{"--data-dir", both, "--listen-client-urls", client, "--advertise-client-urls", client}, nil, "both member and proxy directories exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if last := lastLine(failedStart(t, bin, dir, tt.args, tt.env)); !strings.Contains(last, tt.want) {
				t.Errorf("last line %q lacks %q", last, tt.want)
			}
		})
	}
}

// proxyAnswer is one answer reduced to what both proxies must agree on.
type proxyAnswer struct {
	Status  int
	Body    string
	Headers []string // names, with repeats, minus the volatile ones
}

var (
	indexField = regexp.MustCompile(`"(modifiedIndex|createdIndex|index)":\d+`)
	seqKey     = regexp.MustCompile(`/\d{20}`)
)

// noRedirects shows a redirect instead of following it.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func askProxy(t *testing.T, p *member, method, path, body string) proxyAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.clientURL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var names []string
	for k, vv := range resp.Header {
		switch k {
		case "Date", "Content-Length", "X-Raft-Index", "X-Raft-Term", "X-Content-Type-Options":
			continue // volatile, or set by the Go version of the member
		}
		for range vv {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	s := indexField.ReplaceAllString(string(b), `"$1":N`)
	s = seqKey.ReplaceAllString(s, "/SEQ")
	return proxyAnswer{resp.StatusCode, strings.TrimSpace(s), names}
}

// TestProxyProcessMatchesReference sends the same requests through our proxy in front
// of our cluster and through the reference's proxy in front of a reference cluster.
func TestProxyProcessMatchesReference(t *testing.T) {
	requireReference(t)
	bin := ourBinary(t)
	type side struct {
		c        *cluster
		on, ro   *member
		proxyBin string
	}
	sides := map[string]*side{"reference": {proxyBin: "etcd"}, "ours": {proxyBin: bin}}
	for name, s := range sides {
		memberBin := bin
		if name == "reference" {
			memberBin = "etcd"
		}
		s.c = newCluster(t, memberBin, 3)
		s.c.startAll()
		s.on = newProxy(t, s.proxyBin, s.c, "on")
		s.ro = newProxy(t, s.proxyBin, s.c, "readonly")
		s.on.startReady()
		s.ro.startReady()
	}
	steps := []struct {
		readonly           bool
		method, path, body string
	}{
		{false, "PUT", "/v2/keys/k", "value=1"},
		{false, "GET", "/v2/keys/k", ""},
		{false, "PUT", "/v2/keys/k?prevExist=false", "value=2"},
		{false, "PUT", "/v2/keys/k?prevValue=1", "value=2"},
		{false, "POST", "/v2/keys/queue", "value=a"},
		{false, "GET", "/v2/keys/queue?recursive=true&sorted=true", ""},
		{false, "GET", "/v2/keys/missing", ""},
		{false, "DELETE", "/v2/keys/k", ""},
		{false, "GET", "/v2/keys/k?wait=true&waitIndex=1", ""},
		{false, "HEAD", "/v2/keys/queue", ""},
		{false, "OPTIONS", "/v2/keys/k", ""},
		{false, "GET", "/v2/stats/store", ""},
		{false, "GET", "/nope", ""},
		{false, "GET", "/v2/keys//queue?recursive=true", ""},
		{false, "PUT", "/v2/keys/./k", "value=3"},
		{true, "DELETE", "/v2//keys/k", ""},
		{false, "PUT", "/v2/config/local/proxy", ""},
		{true, "GET", "/v2/keys/queue", ""},
		{true, "PUT", "/v2/keys/k", "value=1"},
		{true, "HEAD", "/v2/keys/queue", ""},
		{true, "OPTIONS", "/v2/keys/k", ""},
		{true, "DELETE", "/v2/keys/queue", ""},
	}
	for _, st := range steps {
		got := map[string]proxyAnswer{}
		for name, s := range sides {
			p := s.on
			if st.readonly {
				p = s.ro
			}
			got[name] = askProxy(t, p, st.method, st.path, st.body)
		}
		if st.path == "/v2/stats/store" {
			// Counters differ with each cluster's history; the status and headers must not.
			for k, a := range got {
				a.Body = ""
				got[k] = a
			}
		}
		t.Logf("%s %s (readonly %v): %+v", st.method, st.path, st.readonly, got["reference"])
		if fmt.Sprint(got["ours"]) != fmt.Sprint(got["reference"]) {
			t.Errorf("%s %s (readonly %v):\n ours:      %+v\n reference: %+v", st.method, st.path, st.readonly,
				got["ours"], got["reference"])
		}
	}
	// Both list three endpoints.
	for name, s := range sides {
		if eps := proxyEndpoints(t, s.on); len(eps) != 3 {
			t.Errorf("%s proxy endpoints = %q, want 3", name, eps)
		}
	}
	// Every member gone: the first request tries all three, the next finds none.
	for _, s := range sides {
		for _, m := range s.c.members {
			m.kill()
		}
	}
	for _, want := range []int{502, 503} {
		got := map[string]proxyAnswer{}
		for name, s := range sides {
			got[name] = askProxy(t, s.on, "GET", "/v2/keys/k", "")
		}
		if got["ours"].Status != want || fmt.Sprint(got["ours"]) != fmt.Sprint(got["reference"]) {
			t.Errorf("members down, want %d:\n ours:      %+v\n reference: %+v", want, got["ours"], got["reference"])
		}
	}
}

// A proxy started with --proxy on --discovery reads the token's registrations (never
// registering itself), asks those peers for the member list and proxies to them. Here a
// single member of ours is both the discovery backend and the cluster.
func TestProxyProcessFromDiscoveryToken(t *testing.T) {
	bin := ourBinary(t)
	m := newMember(t, bin, filepath.Join(t.TempDir(), "m1"))
	m.startReady()
	peer := flagValue(m.args, "--initial-advertise-peer-urls")
	token := "/v2/keys/_etcd/registry/proxytoken"
	if code, body := put(m, strings.TrimPrefix(token, "/v2/keys")+"/_config/size", "1", ""); code != 201 {
		t.Fatalf("size = %d %s", code, body)
	}
	if code, body := put(m, strings.TrimPrefix(token, "/v2/keys")+"/1234", "m1="+peer, ""); code != 201 {
		t.Fatalf("registration = %d %s", code, body)
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	dir := filepath.Join(t.TempDir(), "proxy")
	p := &member{t: t, bin: bin, dataDir: dir, clientURL: client, args: []string{
		"--proxy", "on", "--data-dir", dir, "--listen-client-urls", client, "--discovery", m.clientURL + token,
	}}
	p.startReady()
	if code, body := put(p, "/via-discovery", "ok", ""); code != 201 {
		t.Fatalf("PUT via proxy = %d %s", code, body)
	}
	if eps := proxyEndpoints(t, p); !slices.Equal(eps, []string{m.clientURL}) {
		t.Errorf("proxy endpoints = %q, want the member's %q", eps, m.clientURL)
	}
	var r keysResp
	// _config is hidden; the one registration is still the only one.
	if code := getJSON(t, m, token+"?recursive=true", &r); code != 200 || len(r.Node.Nodes) != 1 ||
		!strings.HasSuffix(r.Node.Nodes[0].Key, "/1234") {
		t.Errorf("token after the proxy started = %d %+v, want only the member's registration", code, r.Node.Nodes)
	}
	if code := p.stop(); code != 0 {
		t.Errorf("proxy exit code = %d, want 0", code)
	}
	// Restarted, the cluster file wins and the token is not read again.
	again := &member{t: t, bin: bin, dataDir: dir, clientURL: client, args: p.args}
	again.startReady()
	if !strings.Contains(again.out.String(), "discovery token ignored since the proxy has already been initialized") {
		t.Errorf("restart log lacks the ignored-token warning:\n%s", again.out.String())
	}
}

// TestProxyProcessTLSMembers: a plain-http proxy in front of members that serve https and
// require client certificates learns them over peer TLS and forwards with the peer
// certificate, as the reference's proxy does when no client certificate is given.
func TestProxyProcessTLSMembers(t *testing.T) {
	bin := ourBinary(t)
	pki := newTLSTestPKI(t)
	c := newTLSCluster(t, bin, 3, pki)
	px := newProxy(t, bin, c, "on",
		"--peer-cert-file", pki.member.certFile, "--peer-key-file", pki.member.keyFile,
		"--peer-trusted-ca-file", pki.ca.file)
	px.startReady()
	if got := proxyEndpoints(t, px); len(got) != 3 || !strings.HasPrefix(got[0], "https://") {
		t.Fatalf("proxy endpoints = %q, want the three https client URLs", got)
	}
	if code, body := px.do("PUT", "/v2/keys/tls/through-proxy", url.Values{"value": {"ok"}}); code != 201 {
		t.Fatalf("PUT through the proxy = %d %s", code, body)
	}
	// Read back on a member directly, over TLS with a client certificate.
	direct := c.members[1]
	code, body := direct.do("GET", "/v2/keys/tls/through-proxy", nil)
	if code != 200 || !strings.Contains(body, `"value":"ok"`) {
		t.Fatalf("GET on %s = %d %s", direct.clientURL, code, body)
	}
	if code, body := px.do("GET", "/v2/keys/tls/through-proxy", nil); code != 200 || !strings.Contains(body, `"value":"ok"`) {
		t.Fatalf("GET through the proxy = %d %s", code, body)
	}

	// Without a certificate the members refuse the proxy at the handshake: the proxy
	// never learns them and answers 503 (no endpoints available).
	bare := newProxy(t, bin, c, "on", "--peer-trusted-ca-file", pki.ca.file)
	bare.start()
	waitUntil(t, 20*time.Second, "the certificate-less proxy to answer", func() bool {
		resp, err := http.Get(bare.clientURL + "/v2/keys/tls/through-proxy")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
}
