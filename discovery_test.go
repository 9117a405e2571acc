package main

// Process-level tests of bootstrapping through discovery (issue #6): our discovery
// service and raw keys-API tokens, on our server and on the reference, with the built
// binary and etcd 3.4.23 side by side.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcd2/etcd2/discovery/dnstest"
	"github.com/etcd2/etcd2/members"
)

// fastElection keeps cluster tests short.
var fastElection = []string{"--heartbeat-interval", "20", "--election-timeout", "200"}

// discoveryMember prepares (does not start) a member with its own ports and no
// --initial-cluster: extra carries the discovery flags.
func discoveryMember(t *testing.T, bin, dir, name string, extra ...string) *member {
	t.Helper()
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	peer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	dataDir := filepath.Join(dir, name)
	args := []string{
		"--name", name, "--data-dir", dataDir,
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
	}
	args = append(args, fastElection...)
	if bin == "etcd" {
		args = append(args, "--enable-v2")
	}
	return &member{t: t, bin: bin, args: append(args, extra...), dataDir: dataDir, clientURL: client}
}

// peerURLOf reads --initial-advertise-peer-urls back from m's arguments.
func peerURLOf(m *member) string { return flagValue(m.args, "--initial-advertise-peer-urls") }

// startDiscoveryService runs `etcd discovery-service` of ours in front of backend and
// returns it with its public base URL.
func startDiscoveryService(t *testing.T, backend string, extra ...string) (*member, string) {
	t.Helper()
	base := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	svc := &member{t: t, bin: ourBinary(t), clientURL: base, args: append([]string{"discovery-service",
		"--addr", strings.TrimPrefix(base, "http://"), "--host", base, "--etcd", backend}, extra...)}
	svc.start()
	waitCond(t, 20*time.Second, "discovery service up", func() bool {
		resp, err := http.Get(base + "/robots.txt")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return svc, base
}

// httpText sends one request and returns status and body.
func httpText(t *testing.T, method, u, form string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// rawToken makes a discovery token directly in a keys API: <client>/v2/keys/<dir>.
func rawToken(t *testing.T, backend *member, dir string, size int) string {
	t.Helper()
	u := backend.clientURL + "/v2/keys/" + dir
	httpText(t, "DELETE", u+"?recursive=true", "")
	if code, body := httpText(t, "PUT", u+"/_config/size", "value="+fmt.Sprint(size)); code != 201 {
		t.Fatalf("creating token %s: %d %s", dir, code, body)
	}
	return u
}

// startTogether starts members at once (they wait for each other in discovery) and
// waits until all serve.
func startTogether(ms ...*member) {
	for _, m := range ms {
		m.start()
	}
	for _, m := range ms {
		m.waitReady()
	}
}

// checkFormed asserts that ms form one cluster of len(ms) members named as started, in
// which a write through the first is read through the last.
func checkFormed(t *testing.T, ms []*member) []memberJSON {
	t.Helper()
	list := listMembers(t, ms[0])
	var names, want []string
	for _, m := range list {
		names = append(names, m.Name)
	}
	for _, m := range ms {
		want = append(want, flagValue(m.args, "--name"))
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("members %v, want %v", names, want)
	}
	key := fmt.Sprintf("/disc-%d", time.Now().UnixNano())
	if code, body := put(ms[0], key, "v", ""); code != 201 {
		t.Fatalf("PUT through %s = %d %s", ms[0].clientURL, code, body)
	}
	var r keysResp
	if code := getJSON(t, ms[len(ms)-1], "/v2/keys"+key+"?quorum=true", &r); code != 200 || r.Node.Value != "v" {
		t.Fatalf("quorum read of %s = %d %+v", key, code, r)
	}
	return list
}

// referenceError is the message of the reference's first error line
// ("… E | etcdmain: <message>").
func referenceError(m *member) string {
	for _, l := range strings.Split(m.out.String(), "\n") {
		if _, msg, ok := strings.Cut(l, " E | etcdmain: "); ok {
			return strings.TrimSpace(msg)
		}
		if _, msg, ok := strings.Cut(l, " C | etcdmain: "); ok {
			return strings.TrimSpace(msg)
		}
	}
	return ""
}

func tokenStatusOf(t *testing.T, tokenURL string) map[string]any {
	t.Helper()
	code, body := httpText(t, "GET", tokenURL+"?status", "")
	var st map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("GET %s?status = %d %s", tokenURL, code, body)
	}
	return st
}

// TestDiscoveryServiceBootstrap: three members started with only a token of our
// discovery service (backed by our server) form a cluster; the token shows complete; a
// fourth member with --discovery-fallback exit stops with the reference's message; a
// restarted member ignores the flag.
func TestDiscoveryServiceBootstrap(t *testing.T) {
	bin := ourBinary(t)
	backend := newMember(t, bin, t.TempDir())
	backend.startReady()
	_, base := startDiscoveryService(t, backend.clientURL)
	code, tokenURL := httpText(t, "GET", base+"/new?size=3", "")
	if code != 200 || !regexp.MustCompile(`^`+regexp.QuoteMeta(base)+`/[a-f0-9]{32}$`).MatchString(tokenURL) {
		t.Fatalf("GET /new?size=3 = %d %q", code, tokenURL)
	}
	if st := tokenStatusOf(t, tokenURL); st["state"] != "waiting" || st["size"] != 3.0 || st["registered"] != 0.0 {
		t.Errorf("fresh token status = %v", st)
	}
	dir := t.TempDir()
	var ms []*member
	for i := range 3 {
		ms = append(ms, discoveryMember(t, bin, dir, fmt.Sprintf("d%d", i+1), "--discovery", tokenURL))
	}
	startTogether(ms...)
	list := checkFormed(t, ms)

	// Member IDs derive from the discovery URL as cluster token (SPEC §7.1 point 10).
	for _, m := range list {
		var self *member
		for _, c := range ms {
			if flagValue(c.args, "--name") == m.Name {
				self = c
			}
		}
		if want := members.MemberID([]string{peerURLOf(self)}, tokenURL, nil).String(); m.ID != want {
			t.Errorf("member %s has ID %s, want %s", m.Name, m.ID, want)
		}
	}
	st := tokenStatusOf(t, tokenURL)
	if st["state"] != "complete" || st["registered"] != 3.0 {
		t.Errorf("token status after bootstrap = %v", st)
	}
	if _, ok := st["expiration"]; ok {
		t.Errorf("a complete token keeps its TTL: %v", st)
	}

	extra := discoveryMember(t, bin, dir, "d4", "--discovery", tokenURL, "--discovery-fallback", "exit")
	extra.start()
	if code := extra.wait(20 * time.Second); code != 1 {
		t.Errorf("fourth member exit code %d, want 1", code)
	}
	if got, want := lastLine(extra.out.String()), "etcd: failed to join discovery cluster (discovery: cluster is full)"; got != want {
		t.Errorf("fourth member's last line %q, want %q", got, want)
	}

	// A restart has a WAL: the discovery flag is ignored (the token is full by now).
	if code := ms[0].stop(); code != 0 {
		t.Fatalf("stop = %d", code)
	}
	ms[0].start()
	ms[0].waitReady()
	if !strings.Contains(ms[0].out.String(), "discovery token ignored since a cluster has already been initialized") {
		t.Errorf("restart did not log that the token is ignored:\n%s", ms[0].out.String())
	}
	checkFormed(t, ms)
}

// TestDiscoveryRawKeysAPIOnReference: a token that is a plain directory of the
// reference's keys API; a fourth member falls back to a proxy of the cluster.
func TestDiscoveryRawKeysAPIOnReference(t *testing.T) {
	requireReference(t)
	bin := ourBinary(t)
	backend := newMember(t, "etcd", t.TempDir())
	backend.startReady()
	tokenURL := rawToken(t, backend, "discovery/raw", 3)
	dir := t.TempDir()
	var ms []*member
	for i := range 3 {
		ms = append(ms, discoveryMember(t, bin, dir, fmt.Sprintf("r%d", i+1), "--discovery", tokenURL))
	}
	startTogether(ms...)
	checkFormed(t, ms)

	// The default fallback: a proxy of the three members.
	px := discoveryMember(t, bin, dir, "r4", "--discovery", tokenURL)
	px.start()
	px.waitReady()
	if code, body := put(px, "/through-proxy", "p", ""); code != 201 {
		t.Fatalf("PUT through the fallback proxy = %d %s", code, body)
	}
	var r keysResp
	if code := getJSON(t, ms[2], "/v2/keys/through-proxy?quorum=true", &r); code != 200 || r.Node.Value != "p" {
		t.Errorf("write through the proxy read on a member = %d %+v", code, r)
	}
	if !strings.Contains(px.out.String(), "discovery cluster is full, falling back to proxy") {
		t.Errorf("fourth member did not log the fallback:\n%s", px.out.String())
	}
	// Its data dir is a proxy's only, so it restarts (the reference's cannot: it keeps
	// the member directory it made before discovery).
	if _, err := os.Stat(filepath.Join(px.dataDir, "member")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("fallback proxy's data dir has a member directory: %v", err)
	}
	if code := px.stop(); code != 0 {
		t.Errorf("proxy stop = %d", code)
	}
	px.start()
	px.waitReady()
	if code := getJSON(t, px, "/v2/keys/through-proxy?quorum=true", &r); code != 200 || r.Node.Value != "p" {
		t.Errorf("read through the restarted proxy = %d %+v", code, r)
	}
}

// TestDiscoveryReferenceMembersThroughOurService: three reference members bootstrap
// through our discovery service (wire compatibility of the proxy and of the tokens).
func TestDiscoveryReferenceMembersThroughOurService(t *testing.T) {
	requireReference(t)
	backend := newMember(t, ourBinary(t), t.TempDir())
	backend.startReady()
	_, base := startDiscoveryService(t, backend.clientURL)
	_, tokenURL := httpText(t, "GET", base+"/new?size=3", "")
	dir := t.TempDir()
	var ms []*member
	for i := range 3 {
		ms = append(ms, discoveryMember(t, "etcd", dir, fmt.Sprintf("e%d", i+1), "--discovery", tokenURL))
	}
	startTogether(ms...)
	checkFormed(t, ms)
	if st := tokenStatusOf(t, tokenURL); st["state"] != "complete" {
		t.Errorf("token status = %v", st)
	}
}

// TestDiscoveryIDsMatchReference: the same discovery URL and peer URLs give the same
// member and cluster IDs as the reference.
func TestDiscoveryIDsMatchReference(t *testing.T) {
	requireReference(t)
	bin := ourBinary(t)
	backend := newMember(t, bin, t.TempDir())
	backend.startReady()
	const tokenDir = "discovery/ids"
	// One set of ports for both runs: the IDs hash the peer URLs.
	tokenURL := backend.clientURL + "/v2/keys/" + tokenDir
	dir := t.TempDir()
	var ours []*member
	for i := range 3 {
		ours = append(ours, discoveryMember(t, bin, filepath.Join(dir, "ours"), fmt.Sprintf("i%d", i+1), "--discovery", tokenURL))
	}
	rawToken(t, backend, tokenDir, 3)
	startTogether(ours...)
	oursMembers, oursCID := membersAndCluster(t, ours[0])
	for _, m := range ours {
		m.kill()
	}
	var ref []*member
	for i, o := range ours {
		args := slices.Clone(o.args)
		args[slices.Index(args, "--data-dir")+1] = filepath.Join(dir, "ref", fmt.Sprint(i))
		ref = append(ref, &member{t: t, bin: "etcd", args: append(args, "--enable-v2"), clientURL: o.clientURL})
	}
	rawToken(t, backend, tokenDir, 3)
	startTogether(ref...)
	refMembers, refCID := membersAndCluster(t, ref[0])
	if oursCID != refCID {
		t.Errorf("cluster ID %s, reference %s", oursCID, refCID)
	}
	if oursMembers != refMembers {
		t.Errorf("members differ:\nours %s\nref  %s", oursMembers, refMembers)
	}
}

// TestDiscoveryErrorsMatchReference runs one member of each binary against the same
// broken token and compares our last line with the reference's error line.
func TestDiscoveryErrorsMatchReference(t *testing.T) {
	requireReference(t)
	bin := ourBinary(t)
	backend := newMember(t, "etcd", t.TempDir())
	backend.startReady()
	kv := func(key, value string) {
		if code, body := httpText(t, "PUT", backend.clientURL+"/v2/keys/"+key, "value="+url.QueryEscape(value)); code/100 != 2 {
			t.Fatalf("PUT %s = %d %s", key, code, body)
		}
	}
	tests := []struct {
		name  string
		setup func(tok string, self *member) // tok: the token's directory
		url   func(tok string) string        // nil: the token's keys URL
		extra []string
		want  string // our last line, after "etcd: "; TOKEN for the token URL
	}{
		{name: "size missing", setup: func(string, *member) { kv("discovery/other", "1") },
			want: "failed to join discovery cluster (100: Key not found (/discovery/e0) [N])"},
		{name: "size not a number", setup: func(tok string, _ *member) { kv(tok+"/_config/size", "abc") },
			want: "failed to join discovery cluster (discovery: size key is bad)"},
		{name: "invalid URL", setup: func(tok string, _ *member) {
			kv(tok+"/_config/size", "2")
			kv(tok+"/0000000000000001", "garbage")
		}, want: "failed to join discovery cluster (discovery: invalid URL)"},
		{name: "not a keys API", setup: func(string, *member) {},
			url:  func(string) string { return backend.clientURL + "/version/x" },
			want: "failed to join discovery cluster (discovery: bad discovery endpoint)"},
		{name: "full", setup: func(tok string, _ *member) {
			kv(tok+"/_config/size", "1")
			kv(tok+"/0000000000000001", "other=http://127.0.0.1:1")
		}, extra: []string{"--discovery-fallback", "exit"},
			want: "failed to join discovery cluster (discovery: cluster is full)"},
		{name: "duplicate id", setup: func(tok string, self *member) {
			kv(tok+"/_config/size", "2")
			id := members.MemberID([]string{peerURLOf(self)}, backend.clientURL+"/v2/keys/"+tok, nil)
			kv(tok+"/"+id.String(), "x="+peerURLOf(self))
		}, want: `member "x" has previously registered with discovery service token (TOKEN).`},
		{name: "duplicate name", setup: func(tok string, _ *member) {
			kv(tok+"/_config/size", "2")
			kv(tok+"/0000000000000001", "x=http://127.0.0.1:1")
		}, want: "member with duplicated name has registered with discovery service token(TOKEN)."},
	}
	index := regexp.MustCompile(`\[\d+\]`)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [2]string
			for j, b := range []string{"etcd", bin} {
				// The same token for both, emptied in between: texts name it.
				tok := fmt.Sprintf("discovery/e%d", i)
				tokenURL := backend.clientURL + "/v2/keys/" + tok
				httpText(t, "DELETE", tokenURL+"?recursive=true", "")
				if tt.url != nil {
					tokenURL = tt.url(tok)
				}
				m := discoveryMember(t, b, t.TempDir(), "x", append([]string{"--discovery", tokenURL}, tt.extra...)...)
				tt.setup(tok, m)
				m.start()
				if code := m.wait(20 * time.Second); code != 1 {
					t.Errorf("%s exit code %d, want 1", b, code)
				}
				msg := referenceError(m)
				if b != "etcd" {
					msg = strings.TrimPrefix(lastLine(m.out.String()), "etcd: ")
				}
				got[j] = strings.ReplaceAll(index.ReplaceAllString(msg, "[N]"), tokenURL, "TOKEN")
			}
			if got[0] != tt.want {
				t.Errorf("reference says %q, test expects %q", got[0], tt.want)
			}
			if got[1] != got[0] {
				t.Errorf("ours %q, reference %q", got[1], got[0])
			}
		})
	}
}

// TestDiscoveryDuplicateNameOfConcurrentMembers: two members under one name register
// under a size-2 token; both stop with the reference's message.
func TestDiscoveryDuplicateNameOfConcurrentMembers(t *testing.T) {
	bin := ourBinary(t)
	backend := newMember(t, bin, t.TempDir())
	backend.startReady()
	tokenURL := rawToken(t, backend, "discovery/dupname", 2)
	dir := t.TempDir()
	a := discoveryMember(t, bin, filepath.Join(dir, "a"), "same", "--discovery", tokenURL)
	b := discoveryMember(t, bin, filepath.Join(dir, "b"), "same", "--discovery", tokenURL)
	a.start()
	b.start()
	var wg sync.WaitGroup
	for _, m := range []*member{a, b} {
		wg.Go(func() {
			if code := m.wait(20 * time.Second); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if got, want := lastLine(m.out.String()), "etcd: member with duplicated name has registered with discovery service token("+tokenURL+")."; got != want {
				t.Errorf("last line %q, want %q", got, want)
			}
		})
	}
	wg.Wait()
}

func TestDiscoveryFlagErrors(t *testing.T) {
	bin := ourBinary(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"discovery and initial cluster", []string{"--discovery", "http://127.0.0.1:1/x", "--initial-cluster", "x=http://127.0.0.1:2380"},
			`etcd: multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"`},
		{"discovery and SRV", []string{"--discovery", "http://127.0.0.1:1/x", "--discovery-srv", "example.com"},
			`etcd: multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"`},
		{"bad fallback", []string{"--discovery-fallback", "maybe"},
			`etcd: invalid value "maybe" for flag -discovery-fallback: invalid value`},
		{"bad discovery proxy", []string{"--discovery", "http://127.0.0.1:1/x", "--discovery-proxy", "%zz"},
			`etcd: failed to join discovery cluster (invalid proxy address "%zz": parse "%zz": invalid URL escape "%zz")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := discoveryMember(t, bin, t.TempDir(), "x", tt.args...)
			m.start()
			if code := m.wait(20 * time.Second); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if got := lastLine(m.out.String()); got != tt.want {
				t.Errorf("last line %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDiscoverySRVBootstrap: three members find each other in _etcd-server._tcp SRV
// records served by a DNS server inside the test. The targets are "localhost." so that
// the peer transport (system resolver) reaches them too; each member finds itself by
// resolving the targets and its advertised 127.0.0.1 URL.
func TestDiscoverySRVBootstrap(t *testing.T) {
	bin := ourBinary(t)
	dir := t.TempDir()
	var ms []*member
	var records []dnstest.SRV
	for i := range 3 {
		m := discoveryMember(t, bin, dir, fmt.Sprintf("s%d", i+1))
		u, _ := url.Parse(peerURLOf(m))
		port, _ := strconv.Atoi(u.Port())
		records = append(records, dnstest.SRV{Name: "_etcd-server._tcp.etcd2.test.", Target: "localhost.", Port: uint16(port), Priority: uint16(i)})
		ms = append(ms, m)
	}
	dns := dnstest.Start(t, records, map[string]string{"localhost.": "127.0.0.1"})
	for _, m := range ms {
		m.args = append(m.args, "--discovery-srv", "etcd2.test", "--discovery-srv-resolver", dns.Addr, "--initial-cluster-token", "srv-tok")
	}
	startTogether(ms...)
	list := checkFormed(t, ms)
	// The cluster records the SRV targets' URLs; IDs hash them with the cluster token.
	for _, got := range list {
		var self *member
		for _, m := range ms {
			if flagValue(m.args, "--name") == got.Name {
				self = m
			}
		}
		u, _ := url.Parse(peerURLOf(self))
		wantURL := "http://localhost:" + u.Port()
		if !slices.Equal(got.PeerURLs, []string{wantURL}) {
			t.Errorf("member %s peer URLs %v, want [%s]", got.Name, got.PeerURLs, wantURL)
		}
		if want := members.MemberID([]string{wantURL}, "srv-tok", nil).String(); got.ID != want {
			t.Errorf("member %s ID %s, want %s", got.Name, got.ID, want)
		}
	}

	// A member that is not among the targets stops with the reference's message.
	stranger := discoveryMember(t, bin, dir, "s9", "--discovery-srv", "etcd2.test", "--discovery-srv-resolver", dns.Addr)
	stranger.start()
	if code := stranger.wait(20 * time.Second); code != 1 {
		t.Errorf("stranger exit code %d, want 1", code)
	}
	if got, want := lastLine(stranger.out.String()), `etcd: error setting up initial cluster: cannot find local etcd member "s9" in SRV records`; got != want {
		t.Errorf("stranger's last line %q, want %q", got, want)
	}
	// A domain without records.
	none := discoveryMember(t, bin, dir, "s10", "--discovery-srv", "none.test", "--discovery-srv-resolver", dns.Addr)
	none.start()
	if code := none.wait(20 * time.Second); code != 1 {
		t.Errorf("exit code %d without records, want 1", code)
	}
	if got := lastLine(none.out.String()); !strings.HasPrefix(got, "etcd: error setting up initial cluster: error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.none.test on ") ||
		!strings.HasSuffix(got, ": no such host") {
		t.Errorf("last line without records %q", got)
	}
}

// TestDiscoveryServiceProcess: the subcommand configured through DISC_* variables, on our
// server and on the reference as backends: health, tokens that expire when nobody
// completes them, and complete tokens that stay.
func TestDiscoveryServiceProcess(t *testing.T) {
	backends := map[string]string{"ours": ourBinary(t)}
	if referenceInstalled() {
		backends["reference"] = "etcd"
	}
	for name, b := range backends {
		t.Run(name, func(t *testing.T) {
			backend := newMember(t, b, t.TempDir())
			backend.startReady()
			base := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
			svc := &member{t: t, bin: ourBinary(t), args: []string{"discovery-service"}, env: []string{
				"DISC_ADDR=" + strings.TrimPrefix(base, "http://"), "DISC_HOST=https://disc.example",
				"DISC_ETCD=" + backend.clientURL, "DISC_TOKEN_TTL=2s"}}
			svc.start()
			waitCond(t, 20*time.Second, "discovery service up", func() bool {
				resp, err := http.Get(base + "/health")
				if err != nil {
					return false
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode == 200 && string(b) == "OK"
			})
			newToken := func(size int) string {
				code, body := httpText(t, "GET", fmt.Sprintf("%s/new?size=%d", base, size), "")
				if code != 200 || !strings.HasPrefix(body, "https://disc.example/") {
					t.Fatalf("/new = %d %q", code, body)
				}
				return base + strings.TrimPrefix(body, "https://disc.example")
			}
			abandoned, complete := newToken(2), newToken(1)
			if st := tokenStatusOf(t, abandoned); st["ttl"] == nil || st["state"] != "waiting" {
				t.Errorf("new token status %v, want a TTL", st)
			}
			// One registration completes the size-1 token: its TTL goes.
			if code, body := httpText(t, "PUT", complete+"/8e92f74ef219c064?prevExist=false", "value=a%3Dhttp%3A%2F%2F127.0.0.1%3A1"); code != 201 {
				t.Fatalf("registration = %d %s", code, body)
			}
			if st := tokenStatusOf(t, complete); st["state"] != "complete" || st["ttl"] != nil {
				t.Errorf("complete token status %v, want no TTL", st)
			}
			waitCond(t, 20*time.Second, "the abandoned token to expire", func() bool {
				code, _ := httpText(t, "GET", abandoned+"?status", "")
				return code == 404
			})
			if code, body := httpText(t, "GET", complete, ""); code != 200 || !strings.Contains(body, "8e92f74ef219c064") {
				t.Errorf("complete token after the TTL = %d %s", code, body)
			}
			_, metrics := httpText(t, "GET", base+"/metrics", "")
			for _, want := range []string{`endpoint_new_requests_total{code="200",method="GET"} 2`, `endpoint_token_requests_total{code="201",method="PUT"} 1`} {
				if !strings.Contains(metrics, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
		})
	}
}

// TestDiscoveryWaitEndsOnSignal: a member waiting for the others of its token stops
// cleanly on SIGTERM.
func TestDiscoveryWaitEndsOnSignal(t *testing.T) {
	bin := ourBinary(t)
	backend := newMember(t, bin, t.TempDir())
	backend.startReady()
	m := discoveryMember(t, bin, t.TempDir(), "alone", "--discovery", rawToken(t, backend, "discovery/alone", 3))
	m.start()
	waitCond(t, 20*time.Second, "the member to wait for peers", func() bool {
		return strings.Contains(m.out.String(), "found peers from discovery server; waiting for more")
	})
	if code := m.stop(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, m.out.String())
	}
}

// TestDiscoveryMemberIDsOfTheReference: IDs etcd 3.4.23 registered under these
// discovery URLs for these peer URLs (read back from its registrations).
func TestDiscoveryMemberIDsOfTheReference(t *testing.T) {
	tests := []struct{ peer, discovery, want string }{
		{"http://127.0.0.1:24101", "http://127.0.0.1:23790/v2/keys/discovery/t5", "8e92f74ef219c064"},
		{"http://127.0.0.1:24101", "http://127.0.0.1:23790/v2/keys/discovery/t10", "2be9250401b6e02e"},
	}
	for _, tt := range tests {
		if got := members.MemberID([]string{tt.peer}, tt.discovery, nil).String(); got != tt.want {
			t.Errorf("MemberID(%s, %s) = %s, want %s", tt.peer, tt.discovery, got, tt.want)
		}
	}
}
