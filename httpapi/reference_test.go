package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/etcd2/etcd2/store"
)

// refRequest is one request sent to both our API and the reference.
type refRequest struct {
	method, target string
	body           string   // sent url-encoded unless hdr sets a Content-Type
	hdr            []string // "Name: value"
	skipBody       bool     // bodies differ by design (IDs, versions)
}

// TestAgainstReference plays requests against `etcd --enable-v2` (3.4.23) and our API over
// the fake server, and compares status, the headers clients look at and the bodies
// (expiration and ttl normalized). It is skipped when etcd is not installed or in -short.
func TestAgainstReference(t *testing.T) {
	refURL := startReference(t)
	ours := newTestAPIOn(t, referenceLikeFake(t))

	json := []string{"Content-Type: application/json"}
	reqs := []refRequest{
		{method: "GET", target: "/v2/keys/"},
		{method: "PUT", target: "/v2/keys/a?value=1"},
		{method: "PUT", target: "/v2/keys/a", body: "value=2"},
		{method: "GET", target: "/v2/keys/a"},
		{method: "HEAD", target: "/v2/keys/a"},
		{method: "GET", target: "/v2/keys/a?quorum=true"},
		{method: "GET", target: "/v2/keys/a?quorum=true&wait=true"},
		{method: "GET", target: "/v2/keys/a?stream=true"},
		{method: "PUT", target: "/v2/keys/a?prevExist=false&value=3"},
		{method: "PUT", target: "/v2/keys/b?prevExist=false&value=x"},
		{method: "PUT", target: "/v2/keys/b?prevExist=true&value=y"},
		{method: "PUT", target: "/v2/keys/b?prevValue=y&value=z"},
		{method: "PUT", target: "/v2/keys/b?prevValue=nope&value=w"},
		{method: "PUT", target: "/v2/keys/b?prevIndex=1&value=w"},
		{method: "PUT", target: "/v2/keys/b?prevValue=nope&prevIndex=1&value=w"},
		{method: "PUT", target: "/v2/keys/b?prevExist=false&prevValue=z"},
		{method: "PUT", target: "/v2/keys/b?prevExist=true&prevIndex=0&value=u"},
		{method: "PUT", target: "/v2/keys/missing?prevExist=true&value=v"},
		{method: "PUT", target: "/v2/keys/missing?prevValue=v&value=v"},
		{method: "POST", target: "/v2/keys/q?value=job"},
		{method: "POST", target: "/v2/keys/q", body: "dir=true"},
		{method: "POST", target: "/v2/keys/?value=rootchild"},
		{method: "POST", target: "/v2/keys/a/sub?value=x"},
		{method: "DELETE", target: "/v2/keys/b?prevValue=u"},
		{method: "DELETE", target: "/v2/keys/a?prevExist=false"},
		{method: "DELETE", target: "/v2/keys/a"},
		{method: "DELETE", target: "/v2/keys/"},
		{method: "DELETE", target: "/v2/keys/?recursive=true"},
		{method: "PUT", target: "/v2/keys?value=x"},
		{method: "PUT", target: "/v2/keys/?dir=true"},
		{method: "DELETE", target: "/v2/keys/?prevValue=a"},
		{method: "PUT", target: "/v2/keys/d/x?value=1"},
		{method: "PUT", target: "/v2/keys/d?value=1"},
		{method: "PUT", target: "/v2/keys/d?dir=true"},
		{method: "PUT", target: "/v2/keys/d?prevExist=true&value=v"},
		{method: "DELETE", target: "/v2/keys/d"},
		{method: "DELETE", target: "/v2/keys/d?dir=true"},
		{method: "DELETE", target: "/v2/keys/d?prevIndex=9&recursive=true"},
		{method: "GET", target: "/v2/keys/d/x/sub"},
		{method: "HEAD", target: "/v2/keys/nope"},
		{method: "GET", target: "/v2/keys/d?recursive=true"},
		{method: "DELETE", target: "/v2/keys/d?recursive=true"},
		{method: "PUT", target: "/v2/keys/e?dir=true"},
		{method: "DELETE", target: "/v2/keys/e?dir=true"},
		{method: "PUT", target: "/v2/keys/f?value=file"},
		{method: "PUT", target: "/v2/keys/f?dir=true"},
		{method: "PUT", target: "/v2/keys/t?value=v&ttl=1000"},
		{method: "PUT", target: "/v2/keys/t?refresh=true&ttl=2000"},
		{method: "PUT", target: "/v2/keys/t?refresh=true&ttl=2000&prevExist=true"},
		{method: "PUT", target: "/v2/keys/t?prevExist=true&value=w"},
		{method: "PUT", target: "/v2/keys/gone?refresh=true&ttl=5"},
		{method: "PUT", target: "/v2/keys/n?value=v&noValueOnSuccess=true"},
		{method: "PUT", target: "/v2/keys/n?value=w&noValueOnSuccess=true&prevValue=v"},
		{method: "DELETE", target: "/v2/keys/n?noValueOnSuccess=true"},
		{method: "POST", target: "/v2/keys/q?value=x&noValueOnSuccess=true"},
		{method: "PUT", target: "/v2/keys/h/_hidden?value=h"},
		{method: "PUT", target: "/v2/keys/h/seen?value=s"},
		{method: "GET", target: "/v2/keys/?recursive=true&sorted=true"},
		{method: "GET", target: "/v2/keys/h"},
		{method: "GET", target: "/v2/keys/h/_hidden"},
		{method: "PUT", target: "/v2/keys/j", body: `{"value":"j"}`, hdr: json},
		{method: "PUT", target: "/v2/keys/k?value=%3C%3E%26%C3%A9"},
		{method: "PUT", target: "/v2/keys/sp%20ace/q%3Fm?value=1"},
		{method: "GET", target: "/v2/keys/sp%20ace/q%3Fm"},
		{method: "GET", target: "/v2/keys/trail/"},
		{method: "PUT", target: "/v2/keys/k?value=q", body: "value=b"},
		{method: "DELETE", target: "/v2/keys/k", body: "prevValue=zzz"},
		{method: "GET", target: "/v2/keys/k?wait=true&waitIndex=1"},
		{method: "GET", target: "/v2/keys/h?wait=true&recursive=true&waitIndex=1"},
		// Parameter errors, in validation order.
		{method: "GET", target: "/v2/keys/k?value=%zz"},
		{method: "PUT", target: "/v2/keys/k", body: "value=%zz"},
		{method: "GET", target: "/v2/keys/k?value=a;b"},
		{method: "GET", target: "/v2/keys/k?prevIndex=a&waitIndex=a"},
		{method: "GET", target: "/v2/keys/k?waitIndex=&recursive=a"},
		{method: "GET", target: "/v2/keys/k?recursive=&sorted=a"},
		{method: "GET", target: "/v2/keys/k?sorted=2&wait=a"},
		{method: "GET", target: "/v2/keys/k?wait=yes&dir=a"},
		{method: "GET", target: "/v2/keys/k?dir=x&quorum=a"},
		{method: "GET", target: "/v2/keys/k?quorum=x&stream=a"},
		{method: "GET", target: "/v2/keys/k?stream=x"},
		{method: "PUT", target: "/v2/keys/k?wait=true&prevValue="},
		{method: "HEAD", target: "/v2/keys/k?wait=true"},
		{method: "PUT", target: "/v2/keys/k?prevValue=&noValueOnSuccess=a"},
		{method: "PUT", target: "/v2/keys/k?noValueOnSuccess=a&ttl=a"},
		{method: "PUT", target: "/v2/keys/k?ttl=-1&prevExist=a"},
		{method: "PUT", target: "/v2/keys/k?ttl=18446744073709551616"},
		{method: "PUT", target: "/v2/keys/k?prevExist=a&refresh=a"},
		{method: "PUT", target: "/v2/keys/k?refresh=a"},
		{method: "PUT", target: "/v2/keys/k?refresh=true&value=v"},
		{method: "PUT", target: "/v2/keys/k?refresh=true&ttl="},
		{method: "PUT", target: "/v2/keys/k?ttl=5", body: "ttl=x"},
		{method: "PUT", target: "/v2/keys/k", body: "value=x", hdr: []string{"Content-Type: text/plain; =x"}},
		// Routing, methods, redirects, CORS.
		{method: "PATCH", target: "/v2/keys/k"},
		{method: "FOO", target: "/v2/keys/k"},
		{method: "FOO", target: "/nothing"},
		{method: "GET", target: "/nothing"},
		{method: "GET", target: "/v2/keysfoo"},
		{method: "GET", target: "/v2/stats"},
		{method: "OPTIONS", target: "/anything//at/all"},
		{method: "GET", target: "/v2/keys//a"},
		{method: "HEAD", target: "/v2//keys/a?x=1"},
		{method: "PUT", target: "/v2/keys//a?value=1"},
		{method: "GET", target: "/v2/keys/x/../a"},
		{method: "GET", target: "/v2/keys/./a/"},
		{method: "GET", target: "//nothing"},
		{method: "GET", target: "/v2/keys/%zz"},
		{method: "POST", target: "/v2/machines"},
		{method: "POST", target: "/version"},
		{method: "POST", target: "/health"},
		{method: "POST", target: "/v2/stats/self"},
		{method: "PUT", target: "/v2/stats/leader"},
		{method: "DELETE", target: "/v2/stats/store"},
		{method: "PUT", target: "/debug/vars"},
		{method: "GET", target: "/version"},
		{method: "GET", target: "/health"},
		// Members: the error shapes that do not depend on member IDs.
		{method: "PATCH", target: "/v2/members"},
		{method: "DELETE", target: "/v2/members"},
		{method: "PUT", target: "/v2/members", body: "{}", hdr: json},
		{method: "GET", target: "/v2/members/abc"},
		{method: "GET", target: "/v2/members/leader/x"},
		{method: "DELETE", target: "/v2/members/zz"},
		{method: "PUT", target: "/v2/members/zz", body: "{}", hdr: json},
		{method: "PUT", target: "/v2/members/1234", body: "{}", hdr: json},
		{method: "POST", target: "/v2/members", body: `{"peerURLs":["http://127.0.0.1:1"]}`},
		{method: "POST", target: "/v2/members", body: "garbage", hdr: []string{"Content-Type: application/json; charset=utf-8"}},
		{method: "POST", target: "/v2/members", body: "{}", hdr: []string{"Content-Type: Application/JSON"}},
		{method: "POST", target: "/v2/members", body: "{}", hdr: json},
		{method: "POST", target: "/v2/members", body: `{"peerURLs":["127.0.0.1:47322"]}`, hdr: json},
		{method: "POST", target: "/v2/members", body: `{"peerURLs":["http://127.0.0.1:47322/path"]}`, hdr: json},
		{method: "POST", target: "/v2/members", body: `{"peerURLs":["ftp://h:1"]}`, hdr: json},
		{method: "POST", target: "/v2/members", body: `{"peerURLs":["http://h"]}`, hdr: json},
		{method: "GET", target: "/v2/members", skipBody: true},
		{method: "GET", target: "/v2/stats/self", skipBody: true},
		{method: "GET", target: "/v2/stats/leader", skipBody: true},
		{method: "GET", target: "/v2/machines", skipBody: true},
	}
	for _, rq := range reqs {
		want := sendRaw(t, refURL, rq)
		got := sendRaw(t, ours.http.URL, rq)
		compareResponses(t, rq, got, want)
	}
}

var (
	expirationRE = regexp.MustCompile(`"expiration":"[^"]*"`)
	ttlRE        = regexp.MustCompile(`"ttl":\d+`)
)

func normalizeBody(s string) string {
	s = expirationRE.ReplaceAllString(s, `"expiration":"X"`)
	return ttlRE.ReplaceAllString(s, `"ttl":N`)
}

func compareResponses(t *testing.T, rq refRequest, got, want response) {
	t.Helper()
	what := rq.method + " " + rq.target
	if rq.body != "" {
		what += " body " + rq.body
	}
	if got.status != want.status {
		t.Errorf("%s: status %d, reference %d (ours %q, reference %q)", what, got.status, want.status, got.body, want.body)
		return
	}
	if !rq.skipBody && normalizeBody(got.body) != normalizeBody(want.body) {
		t.Errorf("%s: body\n ours      %q\n reference %q", what, got.body, want.body)
	}
	for _, h := range []string{"Content-Type", "X-Etcd-Index", "Allow", "Location", "X-Content-Type-Options",
		"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Transfer-Encoding"} {
		if g, w := got.header.Get(h), want.header.Get(h); g != w {
			t.Errorf("%s: %s %q, reference %q", what, h, g, w)
		}
	}
	for _, h := range []string{"X-Etcd-Cluster-Id", "X-Raft-Index", "X-Raft-Term", "Content-Length"} {
		if _, g := got.header[h]; g != (want.header.Get(h) != "") {
			t.Errorf("%s: %s present = %v, reference %v", what, h, g, !g)
		}
	}
}

// sendRaw sends rq exactly as written (no client-side path cleaning) on a new connection.
func sendRaw(t *testing.T, baseURL string, rq refRequest) response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", rq.method, rq.target)
	ct := ""
	if rq.body != "" {
		ct = formContentType
	}
	for _, h := range rq.hdr {
		if k, v, _ := strings.Cut(h, ": "); k == "Content-Type" {
			ct = v
		} else {
			fmt.Fprintf(&b, "%s\r\n", h)
		}
	}
	if ct != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", ct)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(rq.body), rq.body)
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: rq.method})
	if err != nil {
		t.Fatalf("%s %s on %s: %v", rq.method, rq.target, baseURL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s on %s: read body: %v", rq.method, rq.target, baseURL, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

// referenceLikeFake is a fake whose store has the reference's three internal writes of a
// fresh one-member cluster, so that store indexes line up with the reference's.
func referenceLikeFake(t *testing.T) *fakeServer {
	f := newFakeServer()
	for _, k := range []string{"/0/members/1/raftAttributes", "/0/members/1/attributes", "/0/version"} {
		if _, err := f.st.Apply(&store.Command{Op: store.OpSet, Key: k, Value: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// startReference runs `etcd --enable-v2` on free loopback ports and returns its client URL
// once its store holds the three internal writes of a new cluster.
func startReference(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the reference etcd")
	}
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Skip("reference etcd not installed")
	}
	dir := t.TempDir()
	client, peer := "http://"+freeAddr(t), "http://"+freeAddr(t)
	logFile, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--enable-v2", "--name", "ref", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "ref="+peer)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start reference: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	ready := func() bool {
		res, err := http.Get(client + "/v2/keys/")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200 && res.Header.Get("X-Etcd-Index") == "3"
	}
	waitFor(t, "the reference etcd", ready)
	return client
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
