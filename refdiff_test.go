package main

// Reference differential test, the runner (issue 3): our server and `etcd --enable-v2`
// 3.4.23 are started side by side as processes (the member of process_test.go), every step
// of a request script is sent to both at the same moment, and the two answers are compared
// after normalization. Scripts: refdiff_keys_test.go (text files in testdata/refdiff) and
// refdiff_random_test.go (a seeded generator).
//
// A result is the status, the set of header names present, the values of Content-Type,
// Allow, Location, the CORS headers and X-Etcd-Index, and the body. Normalization (what two
// correct servers may legitimately disagree on) is, in order:
//
//   - listings of a GET without sorted=true are sorted by key at every level (the order of
//     an unsorted listing is unspecified, SPEC §2.6);
//   - each server's own client and peer URL, member ID and cluster ID become placeholders;
//   - indexes become relative to the server's store index before the script (its "base",
//     read from X-Etcd-Index once the server has settled): modifiedIndex, createdIndex,
//     index, X-Etcd-Index, 20-digit in-order key names, the index numbers of a compare
//     failure cause ("[3 != 5]") and of a cleared-history cause ("[148/10]"). A value v ≥
//     base is written B+(v-base); 0 and values below base (nothing a script created) stay;
//   - X-Raft-Index, X-Raft-Term, X-Etcd-Cluster-Id and Date: presence only; Content-Length
//     not at all: whether a body goes with a length or chunked is HTTP framing (Go 1.19's
//     server chunks bodies over its 4 KiB buffer, ours sets the length), not the v2 API;
//   - expiration and ttl are compared loosely: both present at the same place, expirations
//     within 3 s, ttls within 1 (the two servers get each request a few ms apart and round
//     the remaining time independently);
//   - /v2/stats/self: times, uptime and counters masked; /version: the etcdserver version
//     masked (SPEC §5: ours reports its own).
//
// A step may carry an expected-difference marker ([OURS]/[QUIRK] with a reason naming the
// SPEC item); a difference there is reported but does not fail the test. Everything else
// that differs fails it with a per-step report of the request and both normalized answers.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rdVerbose logs every step with the reference's normalized answer (for writing scripts).
var rdVerbose = flag.Bool("refdiff.v", false, "reference differential test: log every step and the reference's answer")

// rdLooseExpiration and rdLooseTTL bound how far the loosely compared values may differ.
const (
	rdLooseExpiration = 3 * time.Second
	rdLooseTTL        = 1
)

// rdWatchDeadline bounds how long a watch may take to send its headers and a collect to
// receive what it waits for; it covers a 3 s TTL plus the reference's 500 ms sweep.
const rdWatchDeadline = 6 * time.Second

// rdClient never follows redirects (a 301 is an answer to compare) and keeps enough idle
// connections for the parallel repeat steps.
var rdClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
}

// requireRefDiff skips the test when the reference is not installed (CI installs it).
func requireRefDiff(t *testing.T) {
	t.Helper()
	if _, err := lookPath("etcd"); err != nil {
		t.Skip("reference etcd not on PATH")
	}
	if testing.Short() {
		t.Skip("differential test against the reference is long")
	}
}

// rdKind says how a step runs.
type rdKind int

const (
	rdRequest rdKind = iota // one request, whole answer compared
	rdWatch                 // start a long poll; it is registered once its headers arrive
	rdCollect               // what a watch received: the whole body, or count stream events
	rdRepeat                // count requests ({n} = 1…count), the status tally compared
	rdAwait                 // repeat a request until its status is count, compare the last
	rdBarrier               // poll path until no node below it has a TTL (random test)
	rdHistory               // one history read per index since mark (random test)
)

// rdStep is one step of a script. target and body may hold placeholders resolved per
// server: {B+n} (base + n), {name} / {name+n} / {name-n} (an index captured with -> name),
// {name:20} (the same as a 20-digit in-order name), {peer-url} (the server's peer URL) and
// {@/key} / {@/key+n} (the index of the last successful non-refresh write answer for that
// key, 1 if none; random test).
type rdStep struct {
	src     string // "file:line" or "op N"
	section string
	kind    rdKind
	method  string
	target  string
	body    string
	hasBody bool
	ct      string      // Content-Type of the body; form-urlencoded when empty
	header  [][2]string // extra request headers
	bigBody int         // body "value=" followed by that many bytes
	name    string      // watch/collect: the watch; capture: where -> saves X-Etcd-Index
	count   int         // collect: stream events; repeat: requests; await: status
	mark    string      // history: the captured index to start after
	expect  string      // "[OURS] reason" or "[QUIRK] reason"
}

// describe renders the request of a step for reports.
func (st *rdStep) describe() string {
	var b strings.Builder
	switch st.kind {
	case rdWatch:
		fmt.Fprintf(&b, "watch %s: ", st.name)
	case rdCollect:
		fmt.Fprintf(&b, "collect %s", st.name)
		if st.count > 0 {
			fmt.Fprintf(&b, " (%d events)", st.count)
		}
		return b.String()
	case rdRepeat:
		fmt.Fprintf(&b, "repeat %d× ", st.count)
	case rdAwait:
		fmt.Fprintf(&b, "until %d: ", st.count)
	case rdBarrier:
		return "wait until no TTL node is left below " + st.target
	case rdHistory:
		return fmt.Sprintf("history replay of every index after %s", st.mark)
	}
	b.WriteString(st.method + " " + st.target)
	if st.bigBody > 0 {
		fmt.Fprintf(&b, " body value=<%d bytes>", st.bigBody)
	} else if st.hasBody {
		fmt.Fprintf(&b, " body %q", st.body)
	}
	if st.ct != "" {
		b.WriteString(" Content-Type: " + st.ct)
	}
	for _, h := range st.header {
		b.WriteString(" " + h[0] + ": " + h[1])
	}
	return b.String()
}

// rdServer is one side of the comparison.
type rdServer struct {
	label     string
	m         *member
	peerURL   string
	memberID  string
	clusterID string
	base      uint64
	marks     map[string]uint64 // captured indexes, absolute
	written   map[string]uint64 // key → index of its last successful non-refresh write
	watches   map[string]*rdWatchConn
}

// startRefDiffPair starts the reference and our server (at once, to save time) and waits
// until both have settled.
func startRefDiffPair(t *testing.T) [2]*rdServer {
	t.Helper()
	bins := [2]string{"etcd", ourBinary(t)}
	labels := [2]string{"reference", "ours"}
	var sides [2]*rdServer
	for i := range sides {
		m := newMember(t, bins[i], filepath.Join(t.TempDir(), labels[i]))
		m.start()
		sides[i] = &rdServer{label: labels[i], m: m, peerURL: argAfter(m.args, "--listen-peer-urls"),
			marks: map[string]uint64{}, written: map[string]uint64{}, watches: map[string]*rdWatchConn{}}
	}
	var errs [2]error
	var wg sync.WaitGroup
	for i, s := range sides {
		wg.Go(func() { errs[i] = s.settle(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s did not settle: %v\n%s", labels[i], err, sides[i].m.out.String())
		}
	}
	// SPEC §2.10: three internal writes, so the first user write gets index 4 on both.
	if sides[0].base != sides[1].base {
		t.Errorf("store index before the script: reference %d, ours %d (SPEC §2.10: equal)", sides[0].base, sides[1].base)
	}
	t.Logf("store index before the script: reference %d, ours %d", sides[0].base, sides[1].base)
	return sides
}

// argAfter returns the argument following name.
func argAfter(args []string, name string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			return args[i+1]
		}
	}
	return ""
}

// settle waits until the server has done every internal write of a fresh member (its
// attributes are published and the cluster version is decided) and reads its store index.
func (s *rdServer) settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last error
	for {
		select {
		case <-s.m.done:
			return fmt.Errorf("exited: %v", s.m.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		default:
		}
		if last = s.settledOnce(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// errRDNotSettled reports a server still doing its start-up writes.
var errRDNotSettled = errors.New("refdiff: server not settled")

// settledOnce makes one readiness check.
func (s *rdServer) settledOnce(ctx context.Context) error {
	var version struct{ Etcdcluster string }
	if _, err := s.getJSON(ctx, "/version", &version); err != nil {
		return err
	}
	if version.Etcdcluster == "" || version.Etcdcluster == "not_decided" {
		return fmt.Errorf("%w: cluster version %q", errRDNotSettled, version.Etcdcluster)
	}
	var ms struct{ Members []struct{ ID, Name string } }
	h, err := s.getJSON(ctx, "/v2/members", &ms)
	if err != nil {
		return err
	}
	if len(ms.Members) != 1 || ms.Members[0].Name == "" {
		return fmt.Errorf("%w: members %+v", errRDNotSettled, ms.Members)
	}
	s.memberID, s.clusterID = ms.Members[0].ID, h.Get("X-Etcd-Cluster-Id")
	h, err = s.getJSON(ctx, "/v2/keys/", nil)
	if err != nil {
		return err
	}
	s.base, err = strconv.ParseUint(h.Get("X-Etcd-Index"), 10, 64)
	return err
}

// getJSON reads path, wants 200 and decodes into v when v is not nil.
func (s *rdServer) getJSON(ctx context.Context, path string, v any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.m.clientURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := rdClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s = %d", errRDNotSettled, path, resp.StatusCode)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
	}
	return resp.Header, nil
}

// rdRaw is an answer as received.
type rdRaw struct {
	status int
	header http.Header
	body   []byte
	note   string // transport error, deadline, event count
}

// rdResult is an answer after normalization; loose holds the values compared with a
// tolerance, in body order.
type rdResult struct {
	status  int
	headers string
	body    string
	note    string
	loose   []rdLooseValue
}

// rdLooseValue is an expiration or ttl taken out of a body.
type rdLooseValue struct{ field, text string }

// close reports whether two loose values are within tolerance.
func (a rdLooseValue) close(b rdLooseValue) bool {
	if a.field != b.field {
		return false
	}
	if a.field == "ttl" {
		x, err1 := strconv.ParseInt(a.text, 10, 64)
		y, err2 := strconv.ParseInt(b.text, 10, 64)
		return err1 == nil && err2 == nil && max(x-y, y-x) <= rdLooseTTL
	}
	x, err1 := time.Parse(time.RFC3339Nano, a.text)
	y, err2 := time.Parse(time.RFC3339Nano, b.text)
	d := x.Sub(y)
	return err1 == nil && err2 == nil && max(d, -d) <= rdLooseExpiration
}

// rdCompare returns which parts of two results differ ("" when none).
func rdCompare(a, b rdResult) string {
	var parts []string
	if a.status != b.status {
		parts = append(parts, "status")
	}
	if a.headers != b.headers {
		parts = append(parts, "headers")
	}
	if a.body != b.body {
		parts = append(parts, "body")
	}
	if a.note != b.note {
		parts = append(parts, "note")
	}
	if a.body == b.body {
		for i := range min(len(a.loose), len(b.loose)) {
			if !a.loose[i].close(b.loose[i]) {
				parts = append(parts, fmt.Sprintf("%s (%s vs %s)", a.loose[i].field, a.loose[i].text, b.loose[i].text))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// render prints a result for reports.
func (r rdResult) render(indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sstatus  %d\n%sheaders %s\n", indent, r.status, indent, r.headers)
	for _, line := range strings.Split(strings.TrimSuffix(r.body, "\n"), "\n") {
		if len(line) > 2000 {
			line = fmt.Sprintf("%s… (%d bytes)", line[:2000], len(line))
		}
		fmt.Fprintf(&b, "%sbody    %s\n", indent, line)
	}
	if !strings.HasSuffix(r.body, "\n") && r.body != "" {
		fmt.Fprintf(&b, "%s        (no final newline)\n", indent)
	}
	if len(r.loose) > 0 {
		fmt.Fprintf(&b, "%sloose   %v\n", indent, r.loose)
	}
	if r.note != "" {
		fmt.Fprintf(&b, "%snote    %s\n", indent, r.note)
	}
	return b.String()
}

// rdRunner sends steps to both sides and keeps the tally.
type rdRunner struct {
	t        *testing.T
	sides    [2]*rdServer
	steps    int
	requests int
	expected []string
	failures int
	started  time.Time
}

// rdMaxReports bounds the per-step reports of one run.
const rdMaxReports = 30

func newRDRunner(t *testing.T) *rdRunner {
	return &rdRunner{t: t, sides: startRefDiffPair(t), started: time.Now()}
}

// run executes one step on both sides at once and compares the answers.
func (r *rdRunner) run(st *rdStep) {
	r.t.Helper()
	r.steps++
	var res [2]rdResult
	var errs [2]error
	var wg sync.WaitGroup
	began := time.Now()
	for i, s := range r.sides {
		wg.Go(func() { res[i], errs[i] = s.exec(r.t.Context(), st) })
	}
	wg.Wait()
	took := time.Since(began)
	for i, err := range errs {
		if err != nil {
			r.t.Fatalf("%s: %s: %v", st.src, r.sides[i].label, err)
		}
	}
	r.requests += st.requestCount()
	if *rdVerbose {
		r.t.Logf("%s (%v): %s\n%s", st.src, took.Round(time.Millisecond), st.describe(), res[0].render("    "))
	}
	d := rdCompare(res[0], res[1])
	if d == "" {
		if st.expect != "" {
			r.t.Logf("%s: marked %s but no difference this time", st.src, st.expect)
		}
		return
	}
	report := fmt.Sprintf("step %d (%s, %s): %s\n  differs in: %s\n  reference:\n%s  ours:\n%s",
		r.steps, st.src, st.section, st.describe(), d, res[0].render("    "), res[1].render("    "))
	if st.expect != "" {
		r.expected = append(r.expected, st.src+" "+st.expect)
		r.t.Logf("expected difference %s\n%s", st.expect, report)
		return
	}
	r.failures++
	if r.failures <= rdMaxReports {
		r.t.Errorf("unexpected difference\n%s", report)
	}
}

// requestCount is how many requests a step sends to one server (at least).
func (st *rdStep) requestCount() int {
	switch st.kind {
	case rdRepeat:
		return st.count
	case rdCollect:
		return 0
	}
	return 1
}

// finish closes the watches still open and logs the summary.
func (r *rdRunner) finish() {
	for _, s := range r.sides {
		for name, w := range s.watches {
			w.cancel()
			delete(s.watches, name)
		}
	}
	if r.failures > rdMaxReports {
		r.t.Errorf("%d more unexpected differences not shown", r.failures-rdMaxReports)
	}
	r.t.Logf("%d steps, %d requests per server, %d expected differences, %d unexpected, %v",
		r.steps, r.requests, len(r.expected), r.failures, time.Since(r.started).Round(time.Millisecond))
	for _, e := range r.expected {
		r.t.Logf("  expected: %s", e)
	}
}

// rdPlaceholder matches {B+n}, {name}, {name+n}, {name:20}, {@/key}, {@/key+n}.
var rdPlaceholder = regexp.MustCompile(`\{(B|@/[^{}+]*|[a-z][a-z0-9_]*)([+-][0-9]+)?(:20)?\}`)

// resolve fills in the placeholders of s for this server.
func (s *rdServer) resolve(text string) (string, error) {
	var err error
	text = strings.ReplaceAll(text, "{peer-url}", s.peerURL)
	out := rdPlaceholder.ReplaceAllStringFunc(text, func(p string) string {
		m := rdPlaceholder.FindStringSubmatch(p)
		var v uint64
		switch {
		case m[1] == "B":
			v = s.base
		case strings.HasPrefix(m[1], "@"):
			v = 1
			if w, ok := s.written[m[1][1:]]; ok {
				v = w
			}
		default:
			w, ok := s.marks[m[1]]
			if !ok {
				err = fmt.Errorf("placeholder %s: nothing captured as %q", p, m[1])
			}
			v = w
		}
		if m[2] != "" {
			n, _ := strconv.ParseInt(m[2], 10, 64)
			if int64(v)+n < 0 {
				err = fmt.Errorf("placeholder %s: negative index", p)
			}
			v = uint64(int64(v) + n)
		}
		if m[3] != "" {
			return fmt.Sprintf("%020d", v)
		}
		return strconv.FormatUint(v, 10)
	})
	return out, err
}

// exec runs one step on this server.
func (s *rdServer) exec(ctx context.Context, st *rdStep) (rdResult, error) {
	switch st.kind {
	case rdWatch:
		return s.startWatch(ctx, st)
	case rdCollect:
		return s.collect(st)
	case rdRepeat:
		return s.repeat(ctx, st)
	case rdAwait:
		return s.await(ctx, st)
	case rdBarrier:
		return s.barrier(ctx, st)
	case rdHistory:
		return s.history(ctx, st)
	}
	req, err := s.newRequest(ctx, st, "")
	if err != nil {
		return rdResult{}, err
	}
	raw := s.roundTrip(req)
	res := s.normalize(st, raw)
	if st.name != "" {
		i, err := strconv.ParseUint(raw.header.Get("X-Etcd-Index"), 10, 64)
		if err != nil {
			return res, fmt.Errorf("capture %s: X-Etcd-Index %q", st.name, raw.header.Get("X-Etcd-Index"))
		}
		s.marks[st.name] = i
	}
	s.learn(st, raw)
	return res, nil
}

// newRequest builds the request of a step; n replaces {n} (repeat).
func (s *rdServer) newRequest(ctx context.Context, st *rdStep, n string) (*http.Request, error) {
	target, err := s.resolve(strings.ReplaceAll(st.target, "{n}", n))
	if err != nil {
		return nil, err
	}
	body, err := s.resolve(strings.ReplaceAll(st.body, "{n}", n))
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	switch {
	case st.bigBody > 0:
		rd = io.MultiReader(strings.NewReader("value="), bytes.NewReader(bytes.Repeat([]byte("x"), st.bigBody)))
	case st.hasBody:
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, st.method, s.m.clientURL+target, rd)
	if err != nil {
		return nil, err
	}
	if st.bigBody > 0 {
		req.ContentLength = int64(len("value=") + st.bigBody)
	}
	if st.hasBody || st.bigBody > 0 {
		ct := st.ct
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
		req.Header.Set("Content-Type", ct)
	}
	for _, h := range st.header {
		req.Header.Set(h[0], h[1])
	}
	return req, nil
}

// roundTrip sends a request and reads the whole answer (10 s at most).
func (s *rdServer) roundTrip(req *http.Request) rdRaw {
	ctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
	defer cancel()
	resp, err := rdClient.Do(req.WithContext(ctx))
	if err != nil {
		return rdRaw{header: http.Header{}, note: "transport error: " + rdTransportNote(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	raw := rdRaw{status: resp.StatusCode, header: resp.Header, body: b}
	if err != nil {
		raw.note = "body cut: " + rdTransportNote(err)
	}
	return raw
}

// rdTransportNote keeps the part of a transport error that does not name a port.
func rdTransportNote(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// learn records, from a successful non-refresh write answer, the index of the written key.
func (s *rdServer) learn(st *rdStep, raw rdRaw) {
	if st.method == http.MethodGet || st.method == http.MethodHead || raw.status >= 300 {
		return
	}
	if p := s.params(st); rdTrue(p.Get("refresh")) {
		return
	}
	var ev struct {
		Node struct {
			Key           string
			ModifiedIndex uint64
		}
	}
	if json.Unmarshal(raw.body, &ev) == nil && ev.Node.Key != "" {
		s.written[ev.Node.Key] = ev.Node.ModifiedIndex
	}
}

// params returns the parameters of a step as this server sees them (placeholders resolved):
// body values before query values (SPEC §2.2), first value wins.
func (s *rdServer) params(st *rdStep) url.Values {
	p := url.Values{}
	if st.hasBody && (st.ct == "" || st.ct == "application/x-www-form-urlencoded") {
		body, _ := s.resolve(st.body)
		if f, err := url.ParseQuery(body); err == nil {
			p = f
		}
	}
	target, _ := s.resolve(st.target)
	if _, q, ok := strings.Cut(target, "?"); ok {
		if f, err := url.ParseQuery(q); err == nil {
			for k, v := range f {
				if _, ok := p[k]; !ok {
					p[k] = v
				}
			}
		}
	}
	return p
}

// rdTrue reports whether a parameter value parses as true (Go ParseBool).
func rdTrue(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

// rdWatchConn is a long poll in flight: its headers have arrived, its body is read line by
// line in the background.
type rdWatchConn struct {
	status   int
	header   http.Header
	startErr error       // set before collect can run: no answer at all
	linec    chan []byte // closed at the end of the body
	cancel   context.CancelFunc
	errMu    sync.Mutex
	err      error // set by read: the body was cut
}

// startWatch sends the request of a watch step and returns once its headers are in: the
// servers register the watcher before they write them (SPEC §3.1), so a write sent after
// this step is seen by the watch. The result is empty: the answer is compared at collect.
func (s *rdServer) startWatch(ctx context.Context, st *rdStep) (rdResult, error) {
	if _, dup := s.watches[st.name]; dup {
		return rdResult{}, fmt.Errorf("watch %s started twice", st.name)
	}
	req, err := s.newRequest(ctx, st, "")
	if err != nil {
		return rdResult{}, err
	}
	wctx, cancel := context.WithCancel(req.Context())
	w := &rdWatchConn{cancel: cancel, linec: make(chan []byte, 64)}
	s.watches[st.name] = w
	type answer struct {
		resp *http.Response
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := rdClient.Do(req.WithContext(wctx))
		got <- answer{resp, err}
	}()
	select {
	case a := <-got:
		if a.err != nil {
			w.startErr = a.err
			close(w.linec)
			return rdResult{}, nil
		}
		w.status, w.header = a.resp.StatusCode, a.resp.Header
		go w.read(wctx, a.resp.Body)
	case <-time.After(rdWatchDeadline):
		cancel()
		a := <-got
		if a.resp != nil {
			a.resp.Body.Close()
		}
		w.startErr = fmt.Errorf("no headers within %v", rdWatchDeadline)
		close(w.linec)
	}
	return rdResult{}, nil
}

// read forwards the body line by line until it ends or the watch is cancelled.
func (w *rdWatchConn) read(ctx context.Context, body io.ReadCloser) {
	defer close(w.linec)
	defer body.Close()
	br := bufio.NewReader(body)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			select {
			case w.linec <- line:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				w.errMu.Lock()
				w.err = err
				w.errMu.Unlock()
			}
			return
		}
	}
}

// collect waits for what a watch step should have received: the whole body (count 0), or
// count lines of a stream; then it closes the watch.
func (s *rdServer) collect(st *rdStep) (rdResult, error) {
	w, ok := s.watches[st.name]
	if !ok {
		return rdResult{}, fmt.Errorf("collect %s: no such watch", st.name)
	}
	delete(s.watches, st.name)
	defer w.cancel()
	raw := rdRaw{status: w.status, header: w.header}
	if raw.header == nil {
		raw.header = http.Header{}
	}
	if w.startErr != nil {
		raw.note = "no answer: " + rdTransportNote(w.startErr)
		return s.normalize(st, raw), nil
	}
	deadline := time.After(rdWatchDeadline)
	lines := 0
loop:
	for st.count == 0 || lines < st.count {
		select {
		case line, ok := <-w.linec:
			if !ok {
				break loop
			}
			raw.body = append(raw.body, line...)
			lines++
		case <-deadline:
			raw.note = fmt.Sprintf("still open after %v with %d lines", rdWatchDeadline, lines)
			break loop
		}
	}
	w.errMu.Lock()
	if w.err != nil {
		raw.note = "body cut: " + rdTransportNote(w.err)
	}
	w.errMu.Unlock()
	return s.normalize(st, raw), nil
}

// repeat sends count requests, four at a time, and tallies their statuses; the last
// answer is kept in the note when all statuses agree, for context.
func (s *rdServer) repeat(ctx context.Context, st *rdStep) (rdResult, error) {
	var mu sync.Mutex
	tally := map[int]int{}
	next := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	for range 4 {
		wg.Go(func() {
			for n := range next {
				req, err := s.newRequest(ctx, st, strconv.Itoa(n))
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				raw := s.roundTrip(req)
				mu.Lock()
				tally[raw.status]++
				mu.Unlock()
			}
		})
	}
	for n := 1; n <= st.count; n++ {
		next <- n
	}
	close(next)
	wg.Wait()
	codes := make([]int, 0, len(tally))
	for c := range tally {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "%d×%d\n", c, tally[c])
	}
	return rdResult{body: b.String()}, firstErr
}

// await repeats a request until its status is the wanted one (or a deadline) and returns
// the last answer: a condition reached at different moments on the two servers, such as a
// TTL expiry, compared once both have reached it.
func (s *rdServer) await(ctx context.Context, st *rdStep) (rdResult, error) {
	deadline := time.Now().Add(rdWatchDeadline)
	for {
		req, err := s.newRequest(ctx, st, "")
		if err != nil {
			return rdResult{}, err
		}
		raw := s.roundTrip(req)
		if raw.status == st.count || time.Now().After(deadline) {
			return s.normalize(st, raw), nil
		}
		select {
		case <-ctx.Done():
			return rdResult{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// barrier polls GET target?recursive=true until no node below it shows an expiration.
// Expiry times differ by the servers' sweep phases, so TTL keys are only compared once both
// servers have expired all of them (see refdiff_random_test.go).
func (s *rdServer) barrier(ctx context.Context, st *rdStep) (rdResult, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.m.clientURL+st.target+"?recursive=true", nil)
		if err != nil {
			return rdResult{}, err
		}
		raw := s.roundTrip(req)
		if raw.note != "" {
			return rdResult{note: raw.note}, nil
		}
		if !bytes.Contains(raw.body, []byte(`"expiration"`)) {
			return rdResult{}, nil
		}
		if time.Now().After(deadline) {
			return rdResult{note: "TTL nodes left after 10s"}, nil
		}
		select {
		case <-ctx.Done():
			return rdResult{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// history reads, for every index after the captured mark up to the current store index,
// the first event at or after it (GET /v2/keys/?wait=true&recursive=true&waitIndex=i) and
// compares the whole series: it shows every event since the mark, expiries included. The
// series is capped at 40 reads.
func (s *rdServer) history(ctx context.Context, st *rdStep) (rdResult, error) {
	from, ok := s.marks[st.mark]
	if !ok {
		return rdResult{}, fmt.Errorf("history: nothing captured as %q", st.mark)
	}
	h, err := s.getJSON(ctx, "/v2/keys/", nil)
	if err != nil {
		return rdResult{}, err
	}
	now, _ := strconv.ParseUint(h.Get("X-Etcd-Index"), 10, 64)
	var out rdResult
	out.note = fmt.Sprintf("%d events", now-from)
	for i := from + 1; i <= now && i <= from+40; i++ {
		one := &rdStep{method: http.MethodGet, target: fmt.Sprintf("/v2/keys/?wait=true&recursive=true&waitIndex=%d", i)}
		req, err := s.newRequest(ctx, one, "")
		if err != nil {
			return out, err
		}
		res := s.normalize(one, s.roundTrip(req))
		out.body += fmt.Sprintf("%d %s", res.status, res.body)
		out.loose = append(out.loose, res.loose...)
	}
	return out, nil
}

// rdHeaderValues are the headers whose values are compared; the others count by name.
var rdHeaderValues = []string{
	"Content-Type", "Allow", "Location", "X-Etcd-Index",
	"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
}

// normalize turns a raw answer into a comparable result (rules at the top of this file).
func (s *rdServer) normalize(st *rdStep, raw rdRaw) rdResult {
	res := rdResult{status: raw.status, note: raw.note}
	names := make([]string, 0, len(raw.header))
	for name := range raw.header {
		if name != "Content-Length" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for i, name := range names {
		for _, v := range rdHeaderValues {
			if name == v {
				val := raw.header.Get(name)
				if name == "X-Etcd-Index" {
					val = s.relText(val)
				}
				names[i] = name + "=" + val
			}
		}
	}
	res.headers = strings.Join(names, " ")
	res.body, res.loose = s.normalizeBody(st, string(raw.body))
	return res
}

// rel writes an index relative to the base (see the rules at the top of this file).
func (s *rdServer) rel(v uint64) string {
	if v == 0 || v < s.base {
		return strconv.FormatUint(v, 10)
	}
	return fmt.Sprintf("B+%d", v-s.base)
}

// relText is rel for a decimal string; anything else is kept.
func (s *rdServer) relText(v string) string {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return v
	}
	return s.rel(n)
}

var (
	rdIndexField  = regexp.MustCompile(`"(modifiedIndex|createdIndex|index)":([0-9]+)`)
	rdInOrderName = regexp.MustCompile(`\b[0-9]{20}\b`)
	rdLooseField  = regexp.MustCompile(`"expiration":"([^"]*)"|"ttl":(-?[0-9]+)`)
	rdCause       = regexp.MustCompile(`"cause":"((?:[^"\\]|\\.)*)"`)
	rdCleared     = regexp.MustCompile(`^(the requested history has been cleared )\[([0-9]+)/([0-9]+)\]$`)
	rdCompareOne  = regexp.MustCompile(`\[([^\[\]]*) != ([^\[\]]*)\]`)
	rdSelfMasked  = regexp.MustCompile(`"(startTime|uptime)":"[^"]*"|"(recvAppendRequestCnt|sendAppendRequestCnt|recvPkgRate|recvBandwidthRate|sendPkgRate|sendBandwidthRate)":[0-9.e+-]+`)
	rdServerVer   = regexp.MustCompile(`"etcdserver":"[^"]*"`)
)

// normalizeBody applies the body rules, line by line (a stream holds one event a line).
func (s *rdServer) normalizeBody(st *rdStep, body string) (string, []rdLooseValue) {
	if body == "" {
		return "", nil
	}
	params := s.params(st)
	sortListings := (st.method == http.MethodGet || st.method == http.MethodHead) && !rdTrue(params.Get("sorted"))
	lines := strings.SplitAfter(body, "\n")
	for i, line := range lines {
		if sortListings && strings.HasPrefix(line, "{") {
			text, nl := strings.CutSuffix(line, "\n")
			if sorted, err := rdSortListing([]byte(text)); err == nil {
				line = string(sorted)
				if nl {
					line += "\n"
				}
			}
		}
		lines[i] = line
	}
	out := strings.Join(lines, "")
	out = strings.ReplaceAll(out, s.m.clientURL, "<client-url>")
	out = strings.ReplaceAll(out, s.peerURL, "<peer-url>")
	out = strings.ReplaceAll(out, `"`+s.memberID+`"`, `"<member-id>"`)
	out = strings.ReplaceAll(out, `"`+s.clusterID+`"`, `"<cluster-id>"`)
	path, _, _ := strings.Cut(st.target, "?")
	switch path {
	case "/v2/stats/self":
		out = rdSelfMasked.ReplaceAllStringFunc(out, func(m string) string {
			name, _, _ := strings.Cut(m, ":")
			return name + `:"<masked>"`
		})
	case "/version":
		out = rdServerVer.ReplaceAllString(out, `"etcdserver":"<masked>"`)
	}
	out = rdIndexField.ReplaceAllStringFunc(out, func(m string) string {
		name, v, _ := strings.Cut(m, ":")
		return name + ":" + s.relText(v)
	})
	out = rdInOrderName.ReplaceAllStringFunc(out, func(m string) string {
		return "<" + s.relText(strings.TrimLeft(m, "0")) + ">"
	})
	out = rdCause.ReplaceAllStringFunc(out, func(m string) string {
		c := rdCause.FindStringSubmatch(m)[1]
		return `"cause":"` + s.normalizeCause(c, params) + `"`
	})
	var loose []rdLooseValue
	out = rdLooseField.ReplaceAllStringFunc(out, func(m string) string {
		sub := rdLooseField.FindStringSubmatch(m)
		if strings.HasPrefix(m, `"expiration"`) {
			loose = append(loose, rdLooseValue{"expiration", sub[1]})
			return `"expiration":"<loose>"`
		}
		loose = append(loose, rdLooseValue{"ttl", sub[2]})
		return `"ttl":<loose>`
	})
	return out, loose
}

// normalizeCause rewrites the index numbers of an error cause. In a compare failure the
// index bracket is the one whose left side is the request's prevIndex (with both
// conditions failing, the second one, SPEC §2.4); value brackets are left alone.
func (s *rdServer) normalizeCause(c string, params url.Values) string {
	if m := rdCleared.FindStringSubmatch(c); m != nil {
		return m[1] + "[" + s.relText(m[2]) + "/" + s.relText(m[3]) + "]"
	}
	brackets := rdCompareOne.FindAllStringSubmatchIndex(c, -1)
	prevIndex := params.Get("prevIndex")
	if len(brackets) == 0 || prevIndex == "" {
		return c
	}
	idx := brackets[len(brackets)-1]
	left, right := c[idx[2]:idx[3]], c[idx[4]:idx[5]]
	if len(brackets) == 1 && (left != prevIndex || params.Get("prevValue") == prevIndex) {
		return c
	}
	return c[:idx[0]] + "[" + s.relText(left) + " != " + s.relText(right) + "]" + c[idx[1]:]
}

// rdSortListing re-emits a JSON object with every "nodes" array sorted by key, keeping the
// bytes of everything else (field order, escapes) as they were.
func rdSortListing(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("refdiff: not an object: %s", b)
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for first := true; dec.More(); first = false {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		switch key {
		case "node", "prevNode":
			if v, err = rdSortListing(v); err != nil {
				return nil, err
			}
		case "nodes":
			if v, err = rdSortNodes(v); err != nil {
				return nil, err
			}
		}
		if !first {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(v)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// rdSortNodes sorts a nodes array by key (byte order), each element sorted recursively.
func rdSortNodes(b []byte) ([]byte, error) {
	var nodes []json.RawMessage
	if err := json.Unmarshal(b, &nodes); err != nil {
		return nil, err
	}
	keys := make([]string, len(nodes))
	for i, n := range nodes {
		var k struct{ Key string }
		if err := json.Unmarshal(n, &k); err != nil {
			return nil, err
		}
		keys[i] = k.Key
		var err error
		if nodes[i], err = rdSortListing(n); err != nil {
			return nil, err
		}
	}
	order := make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	parts := make([][]byte, len(nodes))
	for i, o := range order {
		parts[i] = nodes[o]
	}
	return append(append([]byte{'['}, bytes.Join(parts, []byte{','})...), ']'), nil
}
