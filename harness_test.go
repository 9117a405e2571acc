package main

// The process-level differential harness (issue #3): the same request sequence goes to two
// servers started as processes — our binary and `etcd --enable-v2` 3.4.23, or two reference
// instances to prove the harness itself — and every response is compared after the
// normalization at the end of this file. The scripted suites are in diff_keys_test.go
// (format described there, scripts in testdata/diff/), the seeded random one in
// diff_random_test.go.
//
// Server processes are the `member` of process_test.go (start, kill -9, restart on the same
// data dir, output shown when a test fails); this file adds what the comparison needs: a
// start that reports failure instead of failing the test, the facts the normalizer needs
// (URLs, IDs, starting index) and the two-sided step runner.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// diffSelf also runs every differential suite reference against reference (the harness's
// own check); without it that pairing runs only while our server is unavailable.
var diffSelf = flag.Bool("diff.self", false, "differential tests: also compare the reference with itself")

// diffOurs replaces the freshly built server in the comparison, e.g. with an older build, or
// with /bin/false to check the reference-against-reference fallback.
var diffOurs = flag.String("diff.ours", "", "differential tests: compare this server binary instead of the one built from the tree")

// diffVerbose logs every step with the first side's normalized answer (for writing scripts).
var diffVerbose = flag.Bool("diff.v", false, "differential tests: log every step and the reference's answer")

// TestMain builds our server once for every process test of the package. A failed build is
// recorded (ourBinary fails the tests that need it; the differential tests fall back to
// reference against reference) instead of aborting the run.
func TestMain(m *testing.M) {
	buildOnce.Do(buildOurBinary)
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// buildOurBinary runs `go build -o <tmp>/etcd .` and records the outcome in builtBin and
// buildErr, the variables ourBinary reads.
func buildOurBinary() {
	dir, err := os.MkdirTemp("", "etcd2-bin-")
	if err != nil {
		buildErr = err
		return
	}
	builtBin = filepath.Join(dir, "etcd")
	out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
	if err != nil {
		buildErr = fmt.Errorf("go build: %w\n%s", err, out)
	}
}

// referenceAvailable reports whether `etcd` (the reference, installed by .ci/run) is on PATH.
func referenceAvailable() bool { return referenceInstalled() }

// requireReference skips t when the reference is not installed.
func requireReference(t *testing.T) {
	t.Helper()
	if !referenceAvailable() {
		t.Skip("reference etcd not on PATH (.ci/run installs etcd-server)")
	}
}

// diffServer is one running server as the comparison sees it.
type diffServer struct {
	label     string // "reference", "ours", "reference-2"
	m         *member
	peerURL   string
	memberID  string // hex, as in /v2/members
	clusterID string // X-Etcd-Cluster-Id
	base      uint64 // store index before the script: X-Etcd-Index of GET /v2/keys/
}

// startDiffServer starts bin ("etcd" means the reference and adds --enable-v2) as a fresh
// single member and waits until it serves. Unlike member.startReady it returns an error
// when the server exits or never answers, so a caller can fall back instead of failing.
func startDiffServer(t *testing.T, label, bin string) (*diffServer, error) {
	t.Helper()
	m := newMember(t, bin, filepath.Join(t.TempDir(), label))
	m.start()
	s := &diffServer{label: label, m: m, peerURL: flagValue(m.args, "--listen-peer-urls")}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := s.awaitSettled(ctx); err != nil {
		m.kill()
		return nil, fmt.Errorf("%s (%s): %w\n%s", label, bin, err, m.out.String())
	}
	return s, nil
}

// flagValue returns the value following name in args.
func flagValue(args []string, name string) string {
	for i := range len(args) - 1 {
		if args[i] == name {
			return args[i+1]
		}
	}
	return ""
}

// errServerExited reports a server process that ended while we waited for it.
var errServerExited = errors.New("server exited")

// awaitSettled polls until the server answers /version with a decided cluster version, lists
// itself with a name in /v2/members (attributes published) and serves GET /v2/keys/; then
// every internal write of a fresh member is done and the store index is the script's base.
// Waiting for less would let the reference's cluster-version write land inside a script.
func (s *diffServer) awaitSettled(ctx context.Context) error {
	var last error
	for {
		select {
		case <-s.m.done:
			return fmt.Errorf("%w: %v", errServerExited, s.m.exitErr)
		default:
		}
		if last = s.settled(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not serving: %w (last: %v)", ctx.Err(), last)
		case <-s.m.done:
			return fmt.Errorf("%w: %v", errServerExited, s.m.exitErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settled makes one readiness probe and, when it passes, fills in IDs and base.
func (s *diffServer) settled(ctx context.Context) error {
	var version struct{ Etcdcluster string }
	if _, err := s.getJSON(ctx, "/version", &version); err != nil {
		return err
	}
	if version.Etcdcluster == "" || version.Etcdcluster == "not_decided" {
		return fmt.Errorf("cluster version %q", version.Etcdcluster)
	}
	var members struct {
		Members []struct{ ID, Name string }
	}
	h, err := s.getJSON(ctx, "/v2/members", &members)
	if err != nil {
		return err
	}
	if len(members.Members) != 1 || members.Members[0].Name == "" {
		return fmt.Errorf("member attributes not published yet: %+v", members.Members)
	}
	s.memberID, s.clusterID = members.Members[0].ID, h.Get("X-Etcd-Cluster-Id")
	h, err = s.getJSON(ctx, "/v2/keys/", nil)
	if err != nil {
		return err
	}
	base, err := strconv.ParseUint(h.Get("X-Etcd-Index"), 10, 64)
	if err != nil {
		return fmt.Errorf("X-Etcd-Index %q: %w", h.Get("X-Etcd-Index"), err)
	}
	s.base = base
	return nil
}

// getJSON GETs path, requires 200 and decodes the body into v (when not nil).
func (s *diffServer) getJSON(ctx context.Context, path string, v any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.m.clientURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := diffClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
	}
	return resp.Header, nil
}

// diffClient sends the scripted requests exactly: no redirects followed (the 301 of `//`
// paths is compared), no gzip negotiation, no client-side timeout (each step sets its own
// deadline; watches are long polls).
var diffClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
}

// diffPair is what a differential test runs on: side a is always the reference.
type diffPair struct {
	name string
	a, b *diffServer
}

// withDiffPairs runs fn against the pairings that apply: ours against the reference when
// our binary builds and starts, reference against reference when it does not (or with
// -diff.self). Each pairing is a subtest with fresh servers.
func withDiffPairs(t *testing.T, fn func(t *testing.T, p diffPair)) {
	requireReference(t)
	oursBin, oursDown := builtBin, buildErr
	if *diffOurs != "" {
		oursBin, oursDown = *diffOurs, nil
	}
	if oursDown == nil {
		// A binary that builds may still refuse to start.
		t.Run("ours-vs-reference", func(t *testing.T) {
			ours, err := startDiffServer(t, "ours", oursBin)
			if err != nil {
				oursDown = err
				t.Skipf("our server not available yet (issue #3): %v", err)
			}
			ref, err := startDiffServer(t, "reference", "etcd")
			if err != nil {
				t.Fatal(err)
			}
			fn(t, diffPair{name: "ours-vs-reference", a: ref, b: ours})
		})
	} else {
		t.Run("ours-vs-reference", func(t *testing.T) {
			t.Skipf("our server not available yet (issue #3): %v", oursDown)
		})
	}
	if oursDown != nil || *diffSelf {
		t.Run("reference-vs-reference", func(t *testing.T) {
			a, err := startDiffServer(t, "reference", "etcd")
			if err != nil {
				t.Fatal(err)
			}
			b, err := startDiffServer(t, "reference-2", "etcd")
			if err != nil {
				t.Fatal(err)
			}
			fn(t, diffPair{name: "reference-vs-reference", a: a, b: b})
		})
	}
}

// stepKind says how a step is executed.
type stepKind int

const (
	stepRequest stepKind = iota // one request, full response
	stepWatch                   // start a long poll; compare status and headers now
	stepCollect                 // read what a watch received (count>0: stream, that many events)
	stepRepeat                  // count requests ({n} = 1..count), compare the status histogram
	stepAwait                   // repeat the request until the condition holds, compare the last
)

// step is one scripted action. Targets and bodies may hold placeholders resolved per server:
// {base+N} (starting index + N), {name} / {name+N} / {name-N} (a value saved with save),
// {#K} (the result index of step K of the same script: the node's modifiedIndex, else
// X-Etcd-Index), any of these with :20 appended inside the braces for the 20-digit name POST
// gives an in-order key ({q:20}), and {peer_url} (the server's own peer URL); {n} is left to
// repeat, which numbers its requests with it.
type step struct {
	source  string // "file:line" or "random step N", for messages
	kind    stepKind
	method  string
	target  string // path and query
	body    string // sent as is; Content-Type form-urlencoded unless ct says otherwise
	hasBody bool
	big     int // @big=N: the body is value= followed by N bytes
	ct      string
	header  [][2]string // extra request headers
	name    string      // watch name (watch/collect)
	count   int         // collect: events wanted on a stream; repeat: requests
	cond    string      // await: "status=NNN" or "noexp" (no expiration left in the body)
	save    string      // variable that receives this step's result index
	saveHdr bool        // save X-Etcd-Index instead
	shape   bool        // compare JSON shape only (every scalar masked)
	mask    []string    // JSON fields whose values are masked
	expect  string      // "[OURS] reason" or "[QUIRK] reason": a difference is expected
}

// describe renders the step the way it is written in scripts.
func (st step) describe() string {
	var b strings.Builder
	switch st.kind {
	case stepWatch:
		fmt.Fprintf(&b, "watch %s ", st.name)
	case stepCollect:
		fmt.Fprintf(&b, "collect %s %d", st.name, st.count)
		return b.String()
	case stepRepeat:
		fmt.Fprintf(&b, "repeat %d ", st.count)
	case stepAwait:
		fmt.Fprintf(&b, "await %s ", st.cond)
	}
	b.WriteString(st.method + " " + st.target)
	if st.hasBody && st.big == 0 {
		b.WriteString(" " + st.body)
	}
	if st.big > 0 {
		fmt.Fprintf(&b, " @big=%d", st.big)
	}
	if st.ct != "" {
		b.WriteString(" @ct=" + st.ct)
	}
	for _, h := range st.header {
		b.WriteString(" @h=" + h[0] + ":" + h[1])
	}
	return b.String()
}

// response is one server's answer to a step, after normalization.
type response struct {
	Status    int
	Header    []string // sorted "Name" or "Name: value" for the headers whose values count
	Body      string   // normalized body (JSON re-encoded, volatile values replaced)
	Note      string   // what went wrong on the client side (timeout, transport error, …)
	loose     []looseValue
	index     uint64 // result index, for {#K} and saves (absolute, this server's)
	etcdIndex uint64 // X-Etcd-Index (absolute)
	outcome   string // action, "error <code>" or "status <n>", for the summary
	raw       string // the request as sent (placeholders resolved), for messages
}

// diffSide is one server with the state the script accumulates on it.
type diffSide struct {
	srv     *diffServer
	vars    map[string]uint64
	results []uint64 // result index per step
	watches map[string]*watchHandle
}

// diffRunner plays steps on both sides of a pair and reports differences.
type diffRunner struct {
	t        *testing.T
	pair     diffPair
	sides    [2]*diffSide
	requests int // requests sent to each side
	expected []string
	failures int
	outcomes map[string]int // the reference's answers: action, error code or status
}

// newDiffRunner prepares a runner; watches left open are cancelled at cleanup.
func newDiffRunner(t *testing.T, p diffPair) *diffRunner {
	r := &diffRunner{t: t, pair: p, outcomes: map[string]int{}}
	for i, s := range []*diffServer{p.a, p.b} {
		r.sides[i] = &diffSide{srv: s, vars: map[string]uint64{}, watches: map[string]*watchHandle{}}
	}
	t.Cleanup(func() {
		for _, sd := range r.sides {
			for _, w := range sd.watches {
				w.cancel()
			}
		}
	})
	return r
}

// maxReportedDiffs bounds the output when something shifts every later index.
const maxReportedDiffs = 40

// run plays one step on both servers at once and compares the answers.
func (r *diffRunner) run(st step) {
	r.t.Helper()
	var got [2]response
	var errs [2]error
	var wg sync.WaitGroup
	for i, sd := range r.sides {
		wg.Go(func() { got[i], errs[i] = sd.exec(r.t.Context(), st) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		r.t.Fatalf("%s: %s: script error: %v", st.source, st.describe(), err)
	}
	switch st.kind {
	case stepRepeat:
		r.requests += st.count
	case stepCollect:
	default:
		r.requests++
	}
	if got[0].outcome != "" {
		r.outcomes[got[0].outcome]++
	}
	for i, sd := range r.sides {
		sd.results = append(sd.results, got[i].index)
		switch {
		case st.save != "" && st.saveHdr:
			sd.vars[st.save] = got[i].etcdIndex
		case st.save != "":
			sd.vars[st.save] = got[i].index
		}
	}
	if *diffVerbose {
		g := got[0]
		r.t.Logf("%s: %s\n    -> %d %s %s\n    %s", st.source, st.describe(), g.Status, strings.Join(g.Header, " | "), g.Note, g.Body)
	}
	d := diffResponses(got[0], got[1])
	if d == "" {
		return
	}
	msg := r.report(st, got, d)
	if st.expect != "" {
		r.expected = append(r.expected, st.source+" "+st.expect)
		r.t.Logf("expected difference %s\n%s", st.expect, msg)
		return
	}
	r.failures++
	if r.failures <= maxReportedDiffs {
		r.t.Errorf("difference\n%s", msg)
	} else if r.failures == maxReportedDiffs+1 {
		r.t.Errorf("more differences follow; not shown")
	}
}

// report renders a difference: the step, what each server was sent and answered, and the
// field-level diff.
func (r *diffRunner) report(st step, got [2]response, d string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", st.source, st.describe())
	for i, sd := range r.sides {
		g := got[i]
		fmt.Fprintf(&b, "  %-12s sent %s\n", sd.srv.label, g.raw)
		fmt.Fprintf(&b, "  %-12s got  %d %s\n", "", g.Status, strings.Join(g.Header, " | "))
		if g.Note != "" {
			fmt.Fprintf(&b, "  %-12s note %s\n", "", g.Note)
		}
		fmt.Fprintf(&b, "  %-12s body %s\n", "", strings.ReplaceAll(g.Body, "\n", "\n"+strings.Repeat(" ", 20)))
	}
	fmt.Fprintf(&b, "  diff (-%s +%s):\n%s", r.sides[0].srv.label, r.sides[1].srv.label, d)
	return b.String()
}

// finish logs the summary; call it after the last step.
func (r *diffRunner) finish(started time.Time) {
	r.t.Logf("%s: %d steps, %d requests per server, %d expected differences, %d unexpected, %v",
		r.pair.name, len(r.sides[0].results), r.requests, len(r.expected), r.failures, time.Since(started).Round(time.Millisecond))
	var outcomes []string
	for o, n := range r.outcomes {
		outcomes = append(outcomes, fmt.Sprintf("%s×%d", o, n))
	}
	slices.Sort(outcomes)
	r.t.Logf("  reference answers: %s", strings.Join(outcomes, " "))
	for _, e := range r.expected {
		r.t.Logf("  expected: %s", e)
	}
}

// diffResponses compares two normalized responses: everything exactly, except the loose
// values (expiration within looseExpiration, ttl within one second).
func diffResponses(a, b response) string {
	d := cmp.Diff(a, b, cmp.Comparer(func(x, y []looseValue) bool { return true }),
		cmp.AllowUnexported(response{}), cmp.FilterPath(func(p cmp.Path) bool {
			n := p.Last().String()
			return n == ".index" || n == ".etcdIndex" || n == ".raw" || n == ".outcome"
		}, cmp.Ignore()))
	if d != "" {
		return d
	}
	if len(a.loose) != len(b.loose) {
		return fmt.Sprintf("  %d loose values, %d\n", len(a.loose), len(b.loose))
	}
	var out strings.Builder
	for i := range a.loose {
		if !a.loose[i].near(b.loose[i]) {
			fmt.Fprintf(&out, "  %s: %s vs %s\n", a.loose[i].field, a.loose[i].text, b.loose[i].text)
		}
	}
	return out.String()
}

// placeholder is {base+N}, {name}, {name±N} or {#K}, optionally with :20, or {peer_url}.
var placeholder = regexp.MustCompile(`\{(#?[A-Za-z0-9_]+)([+-][0-9]+)?(:20)?\}`)

// resolve replaces placeholders with this side's absolute values.
func (sd *diffSide) resolve(s string) (string, error) {
	var err error
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		var v uint64
		switch name := sub[1]; {
		case name == "n":
			return m // numbered by repeat
		case name == "peer_url":
			return sd.srv.peerURL
		case name == "base":
			v = sd.srv.base
		case strings.HasPrefix(name, "#"):
			k, perr := strconv.Atoi(name[1:])
			if perr != nil || k < 0 || k >= len(sd.results) {
				err = fmt.Errorf("%w: placeholder %s: no such earlier step", errScript, m)
				return m
			}
			v = sd.results[k]
		default:
			var ok bool
			if v, ok = sd.vars[name]; !ok {
				err = fmt.Errorf("%w: placeholder %s: variable not saved", errScript, m)
				return m
			}
		}
		if sub[2] != "" {
			d, _ := strconv.ParseInt(sub[2], 10, 64)
			v = uint64(int64(v) + d)
		}
		if sub[3] != "" {
			return fmt.Sprintf("%020d", v)
		}
		return strconv.FormatUint(v, 10)
	})
	return out, err
}

// errScript reports a step the script cannot run (an unknown variable or watch).
var errScript = errors.New("bad script")

// exec performs st on this side and returns the normalized response. Its error is the
// script's fault, not a server's.
func (sd *diffSide) exec(ctx context.Context, st step) (response, error) {
	if st.kind == stepCollect {
		w := sd.watches[st.name]
		if w == nil {
			return response{}, fmt.Errorf("%w: no watch named %q", errScript, st.name)
		}
		delete(sd.watches, st.name)
		return sd.collect(ctx, w, st), nil
	}
	target, err := sd.resolve(st.target)
	if err == nil {
		st.body, err = sd.resolve(st.body)
	}
	if err != nil {
		return response{}, err
	}
	st.target = target
	switch st.kind {
	case stepWatch:
		return sd.watch(ctx, st), nil
	case stepRepeat:
		return sd.repeat(ctx, st), nil
	case stepAwait:
		return sd.await(ctx, st), nil
	}
	return sd.normalize(st, sd.roundTrip(ctx, st, 10*time.Second)), nil
}

// rawResponse is what came over the wire.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
	note   string
	sent   string
}

// newRequest builds st's request for this side.
func (sd *diffSide) newRequest(ctx context.Context, st step) (*http.Request, error) {
	var body io.Reader
	switch {
	case st.big > 0:
		body = strings.NewReader("value=" + strings.Repeat("x", st.big))
	case st.hasBody:
		body = strings.NewReader(st.body)
	}
	req, err := http.NewRequestWithContext(ctx, st.method, sd.srv.m.clientURL+st.target, body)
	if err != nil {
		return nil, err
	}
	if st.hasBody {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if st.ct != "" {
		req.Header.Set("Content-Type", st.ct)
	}
	for _, h := range st.header {
		req.Header.Set(h[0], h[1])
	}
	return req, nil
}

// roundTrip sends one request and reads the whole answer within d.
func (sd *diffSide) roundTrip(ctx context.Context, st step, d time.Duration) rawResponse {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	raw := rawResponse{sent: st.method + " " + st.target}
	switch {
	case st.big > 0:
		raw.sent += fmt.Sprintf(" value=<%d bytes>", st.big)
	case st.hasBody:
		raw.sent += " " + st.body
	}
	req, err := sd.newRequest(ctx, st)
	if err != nil {
		raw.note = err.Error()
		return raw
	}
	resp, err := diffClient.Do(req)
	if err != nil {
		raw.note = transportNote(err)
		return raw
	}
	defer resp.Body.Close()
	raw.status, raw.header = resp.StatusCode, resp.Header
	raw.body, err = io.ReadAll(resp.Body)
	if err != nil {
		raw.note = "reading body: " + transportNote(err)
	}
	return raw
}

// transportNote describes a client-side failure without the server's address (which
// differs between the sides).
func transportNote(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no complete answer before the deadline"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error()
	}
	return err.Error()
}

// repeat sends count requests ({n} numbered from 1), four at a time; the result is the
// status histogram. Used to fill the event history, where individual answers do not matter.
func (sd *diffSide) repeat(ctx context.Context, st step) response {
	const workers = 4
	var mu sync.Mutex
	hist := map[string]int{}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for n := range next {
				one := st
				one.target = strings.ReplaceAll(st.target, "{n}", strconv.Itoa(n))
				one.body = strings.ReplaceAll(st.body, "{n}", strconv.Itoa(n))
				raw := sd.roundTrip(ctx, one, 10*time.Second)
				k := strconv.Itoa(raw.status)
				if raw.note != "" {
					k = raw.note
				}
				mu.Lock()
				hist[k]++
				mu.Unlock()
			}
		})
	}
	for n := 1; n <= st.count; n++ {
		next <- n
	}
	close(next)
	wg.Wait()
	keys := make([]string, 0, len(hist))
	for k, v := range hist {
		keys = append(keys, fmt.Sprintf("%s×%d", k, v))
	}
	slices.Sort(keys)
	return response{Body: strings.Join(keys, " "), raw: fmt.Sprintf("%d× %s", st.count, st.describe())}
}

// await repeats the request until its condition holds (status=NNN, or noexp: the body shows
// no expiration any more), then returns that last answer. TTL expiry is the leader's
// business and happens at different moments on the two servers; awaiting it on each side
// before going on keeps the index sequences aligned.
func (sd *diffSide) await(ctx context.Context, st step) response {
	deadline := time.Now().Add(15 * time.Second)
	for {
		raw := sd.roundTrip(ctx, st, 5*time.Second)
		if awaitHolds(st.cond, raw) {
			return sd.normalize(st, raw)
		}
		if time.Now().After(deadline) {
			raw.note = "condition " + st.cond + " not reached within 15s"
			return sd.normalize(st, raw)
		}
		select {
		case <-ctx.Done():
			raw.note = ctx.Err().Error()
			return sd.normalize(st, raw)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// awaitHolds evaluates an await condition on one answer.
func awaitHolds(cond string, raw rawResponse) bool {
	if raw.note != "" {
		return false
	}
	if s, ok := strings.CutPrefix(cond, "status="); ok {
		return strconv.Itoa(raw.status) == s
	}
	return cond == "noexp" && !bytes.Contains(raw.body, []byte(`"expiration"`))
}

// watchHandle is a long poll in progress.
type watchHandle struct {
	cancel   context.CancelFunc
	mu       sync.Mutex
	buf      bytes.Buffer
	changedc chan struct{} // receives (non-blocking) after each read
	donec    chan struct{} // closed when the body ended
	sent     string
}

// watch starts a long poll and returns once the headers arrived (a watch is registered
// before its headers are flushed), so the next step's write cannot overtake it. A watch
// answered at once (history hit, error) is still collected by a later collect step.
func (sd *diffSide) watch(ctx context.Context, st step) response {
	wctx, cancel := context.WithCancel(ctx)
	w := &watchHandle{cancel: cancel, changedc: make(chan struct{}, 1), donec: make(chan struct{}),
		sent: st.method + " " + st.target}
	req, err := sd.newRequest(wctx, st)
	if err != nil {
		cancel()
		return response{Note: err.Error()}
	}
	// The headers must come within the step deadline; the body may take as long as the
	// script needs.
	headerTimer := time.AfterFunc(10*time.Second, cancel)
	resp, err := diffClient.Do(req)
	headerTimer.Stop()
	if err != nil {
		cancel()
		return response{Note: "watch: " + transportNote(err), raw: w.sent}
	}
	if old := sd.watches[st.name]; old != nil {
		old.cancel()
	}
	sd.watches[st.name] = w
	go w.read(resp.Body)
	raw := rawResponse{status: resp.StatusCode, header: resp.Header, sent: w.sent}
	return sd.normalize(st, raw)
}

// read copies the body into the buffer until it ends.
func (w *watchHandle) read(body io.ReadCloser) {
	defer body.Close()
	p := make([]byte, 4096)
	for {
		n, err := body.Read(p)
		w.mu.Lock()
		w.buf.Write(p[:n])
		w.mu.Unlock()
		select {
		case w.changedc <- struct{}{}:
		default:
		}
		if err != nil {
			close(w.donec)
			return
		}
	}
}

// collectDeadline bounds how long a collect waits for a watch. A stream watch that is
// expected to stay quiet (the reference's stalled stream) costs this much once.
const collectDeadline = 3 * time.Second

// collect waits until the watch has ended (count 0) or delivered count newline-terminated
// events (stream), or the deadline passes, then stops it and returns what arrived.
func (sd *diffSide) collect(ctx context.Context, w *watchHandle, st step) response {
	defer w.cancel()
	note := w.wait(ctx, st.count)
	w.mu.Lock()
	body := append([]byte(nil), w.buf.Bytes()...)
	w.mu.Unlock()
	if st.count > 0 {
		// A stream is cut after the wanted events; a partial trailing line is not one.
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			body = body[:i+1]
		}
	}
	res := sd.normalize(st, rawResponse{body: body, note: note, sent: w.sent + " (collected)"})
	res.Status = 0
	return res
}

// wait blocks until the body ended (count 0) or holds count lines; it returns a note
// when that did not happen within collectDeadline.
func (w *watchHandle) wait(ctx context.Context, count int) string {
	timer := time.NewTimer(collectDeadline)
	defer timer.Stop()
	for {
		w.mu.Lock()
		lines := bytes.Count(w.buf.Bytes(), []byte("\n"))
		w.mu.Unlock()
		if count > 0 && lines >= count {
			return ""
		}
		select {
		case <-w.donec:
			if count > 0 {
				return fmt.Sprintf("stream ended after %d of %d events", lines, count)
			}
			return ""
		case <-w.changedc:
		case <-timer.C:
			if count > 0 {
				return fmt.Sprintf("%d of %d events within %v", lines, count, collectDeadline)
			}
			return fmt.Sprintf("no complete answer within %v", collectDeadline)
		case <-ctx.Done():
			return ctx.Err().Error()
		}
	}
}

// The normalizer. The two servers differ in what no client may rely on, and only there:
//   - indexes: each server started from its own store index (internal writes), so every
//     index is written relative to that base as i+N (modifiedIndex, createdIndex, index,
//     X-Etcd-Index, the 20-digit names of in-order keys, the numbers in the causes of 401
//     `[oldest/waitIndex]` and of 101 index comparisons `[prevIndex != modifiedIndex]`);
//     0 stays 0 (errors answered before the store);
//   - times: expiration and ttl are taken out of the body and compared loosely (both
//     present, expirations within looseExpiration, ttl within one second);
//   - identity: member and cluster IDs and the servers' own URLs are masked;
//   - headers: Content-Type, Allow, Location, X-Etcd-Index, X-Content-Type-Options and the
//     CORS headers are compared by value, all others (Date, X-Raft-Index, X-Raft-Term,
//     X-Etcd-Cluster-Id, …) by presence, except the framing (Content-Length or chunked),
//     which is not compared;
//   - listings: the nodes of a GET without sorted=true are sorted by key (their order is
//     unspecified; the reference's is Go map order).
// JSON bodies are decoded keeping field order and re-encoded compactly; what re-encoding
// would hide (trailing newline, escapes like \u003c, insignificant spaces) is kept as a note
// after the body. Steps may also mask named fields or compare the JSON shape only.

// looseExpiration is how far apart the two servers' expirations may be: each computes it
// from its own clock when the request arrives, and the sides run a step concurrently.
const looseExpiration = 3 * time.Second

// looseValue is a volatile value taken out of a body.
type looseValue struct{ field, text string }

// rfc3339UTC is the shape of an expiration: RFC 3339 in UTC with optional nanoseconds.
var rfc3339UTC = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$`)

// near reports whether two loose values agree closely enough.
func (a looseValue) near(b looseValue) bool {
	if a.field != b.field {
		return false
	}
	if a.field == "ttl" {
		x, err1 := strconv.ParseInt(a.text, 10, 64)
		y, err2 := strconv.ParseInt(b.text, 10, 64)
		return err1 == nil && err2 == nil && x-y <= 1 && y-x <= 1
	}
	if !rfc3339UTC.MatchString(a.text) || !rfc3339UTC.MatchString(b.text) {
		return a.text == b.text
	}
	x, err1 := time.Parse(time.RFC3339Nano, a.text)
	y, err2 := time.Parse(time.RFC3339Nano, b.text)
	d := x.Sub(y)
	return err1 == nil && err2 == nil && d <= looseExpiration && d >= -looseExpiration
}

// normalizer holds what one response's normalization needs.
type normalizer struct {
	srv    *diffServer
	st     step
	form   url.Values // the request's parameters as the server sees them (body first)
	sorted bool
	loose  []looseValue
}

// normalize turns a raw answer into the comparable response.
func (sd *diffSide) normalize(st step, raw rawResponse) response {
	n := &normalizer{srv: sd.srv, st: st, form: requestForm(st)}
	n.sorted, _ = strconv.ParseBool(n.form.Get("sorted"))
	res := response{Status: raw.status, Note: raw.note, raw: raw.sent}
	res.Header = n.headers(raw)
	res.Body, res.index, res.outcome = n.body(raw.body)
	if res.outcome == "" && raw.status != 0 {
		res.outcome = fmt.Sprintf("status %d", raw.status)
	}
	if raw.header != nil {
		res.etcdIndex, _ = strconv.ParseUint(raw.header.Get("X-Etcd-Index"), 10, 64)
	}
	if res.index == 0 {
		res.index = res.etcdIndex
	}
	res.loose = n.loose
	return res
}

// requestForm is the step's parameters: an urlencoded body of PUT/POST/PATCH first, then the
// query, as Go's ParseForm orders them (the first value of a name wins on the server).
func requestForm(st step) url.Values {
	q := url.Values{}
	if _, rawQuery, ok := strings.Cut(st.target, "?"); ok {
		q, _ = url.ParseQuery(rawQuery)
	}
	form := st.ct == "" || strings.HasPrefix(st.ct, "application/x-www-form-urlencoded")
	switch st.method {
	case http.MethodPut, http.MethodPost, http.MethodPatch:
	default:
		form = false
	}
	if !st.hasBody || !form {
		return q
	}
	b, _ := url.ParseQuery(st.body)
	for k, vs := range q {
		b[k] = append(b[k], vs...)
	}
	return b
}

// headerValues are the headers compared by value; all others by presence.
var headerValues = map[string]bool{
	"Content-Type": true, "Allow": true, "Location": true, "X-Etcd-Index": true,
	"X-Content-Type-Options": true, "Access-Control-Allow-Origin": true,
	"Access-Control-Allow-Methods": true, "Access-Control-Allow-Headers": true,
}

// headers lists header names, with values where they count.
func (n *normalizer) headers(raw rawResponse) []string {
	var out []string
	for name, vs := range raw.header {
		v := strings.Join(vs, ", ")
		switch {
		case name == "Content-Length":
			// Framing, not API: Go's server chunks bodies over 2 KB unless the handler
			// sets a length, and a server may do either.
			continue
		case name == "X-Etcd-Index":
			i, err := strconv.ParseUint(v, 10, 64)
			if err == nil {
				v = n.rel(i)
			}
			out = append(out, name+": "+v)
		case name == "X-Etcd-Cluster-Id" && v != n.srv.clusterID:
			out = append(out, name+": "+v) // a foreign cluster ID is a difference
		case headerValues[name]:
			out = append(out, name+": "+n.text(v))
		default:
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// rel writes an index relative to the server's starting index; 0 (no index) stays 0.
func (n *normalizer) rel(i uint64) string {
	if i == 0 {
		return "0"
	}
	return fmt.Sprintf("i%+d", int64(i)-int64(n.srv.base))
}

// inOrderName is the 20-digit zero-padded index POST uses as a key name.
var inOrderName = regexp.MustCompile(`\b\d{20}\b`)

// text masks the server's identity and relativizes in-order key names in a string.
func (n *normalizer) text(s string) string {
	s = strings.ReplaceAll(s, n.srv.m.clientURL, "<client-url>")
	s = strings.ReplaceAll(s, n.srv.peerURL, "<peer-url>")
	if s == n.srv.memberID {
		return "<member-id>"
	}
	if s == n.srv.clusterID {
		return "<cluster-id>"
	}
	return inOrderName.ReplaceAllStringFunc(s, func(m string) string {
		i, _ := strconv.ParseUint(m, 10, 64)
		return "<" + n.rel(i) + ">"
	})
}

// body normalizes a body and finds its result index (the node's modifiedIndex) and its
// outcome (action or error code).
func (n *normalizer) body(b []byte) (string, uint64, string) {
	if len(b) == 0 {
		return "", 0, ""
	}
	values, err := decodeJSONStream(b)
	if err != nil {
		return strconv.Quote(n.text(string(b))), 0, ""
	}
	var index uint64
	var outcome string
	var out strings.Builder
	for i, v := range values {
		if i == 0 {
			if c := v.field("errorCode"); c != nil {
				outcome = "error " + c.text
			} else if a := v.field("action"); a != nil {
				outcome = a.text
			}
			if node := v.field("node"); node != nil {
				if mi := node.field("modifiedIndex"); mi != nil {
					index, _ = strconv.ParseUint(mi.text, 10, 64)
				}
			}
		}
		n.walk(v)
		v.collectLoose(&n.loose) // after walk: listings are in their final order
		if n.st.shape {
			v.maskScalars()
		}
		if i > 0 {
			out.WriteByte('\n')
		}
		v.encode(&out)
	}
	if notes := rawNotes(b); notes != "" {
		out.WriteString("  # " + notes)
	}
	return out.String(), index, outcome
}

// escapeSeq finds JSON escapes in a raw body.
var escapeSeq = regexp.MustCompile(`\\(u[0-9a-fA-F]{4}|.)`)

// rawNotes describes what re-encoding hides: the trailing newline, the escapes used and
// insignificant whitespace.
func rawNotes(b []byte) string {
	var notes []string
	if bytes.HasSuffix(b, []byte("\n")) {
		notes = append(notes, "ends-with-newline")
	}
	if esc := escapeSeq.FindAll(b, -1); len(esc) > 0 {
		seen := map[string]int{}
		for _, e := range esc {
			seen[string(e)]++
		}
		var list []string
		for e, c := range seen {
			list = append(list, fmt.Sprintf("%s×%d", e, c))
		}
		slices.Sort(list)
		notes = append(notes, "escapes "+strings.Join(list, ","))
	}
	var compact bytes.Buffer
	trimmed := bytes.TrimRight(b, "\n")
	if json.Compact(&compact, trimmed) == nil && !bytes.Equal(compact.Bytes(), bytes.ReplaceAll(trimmed, []byte("\n"), nil)) {
		notes = append(notes, "spaced")
	}
	return strings.Join(notes, " ")
}

// walk normalizes a decoded value in place.
func (n *normalizer) walk(v *jsonValue) {
	switch v.kind {
	case '[':
		for _, e := range v.elems {
			n.walk(e)
		}
	case 's':
		v.text = n.text(v.text)
	case '{':
		code := ""
		if c := v.field("errorCode"); c != nil {
			code = c.text
		}
		for i, k := range v.keys {
			e := v.elems[i]
			v.keys[i] = n.text(k)
			switch {
			case slices.Contains(n.st.mask, k):
				*e = jsonValue{kind: 's', text: "<masked>"}
			case (k == "modifiedIndex" || k == "createdIndex" || k == "index") && e.kind == 'n':
				idx, err := strconv.ParseUint(e.text, 10, 64)
				if err == nil {
					*e = jsonValue{kind: 'r', text: n.rel(idx)}
				}
			case k == "ttl" && e.kind == 'n':
				*e = jsonValue{kind: 'r', text: "<ttl>", loose: &looseValue{"ttl", e.text}}
			case k == "expiration" && e.kind == 's':
				*e = jsonValue{kind: 's', text: "<expiration>", loose: &looseValue{"expiration", e.text}}
			case k == "cause" && e.kind == 's':
				e.text = n.cause(code, n.text(e.text))
			default:
				n.walk(e)
				if k == "nodes" && e.kind == '[' && !n.sorted {
					slices.SortStableFunc(e.elems, func(a, b *jsonValue) int {
						return strings.Compare(a.fieldText("key"), b.fieldText("key"))
					})
				}
			}
		}
	}
}

var (
	// historyCleared is the cause of error 401: [oldest retained index/waitIndex].
	historyCleared = regexp.MustCompile(`\[(\d+)/(\d+)\]`)
	// compareBracket is one condition of a 101 cause: [wanted != current].
	compareBracket = regexp.MustCompile(`\[([^\[\]]*) != ([^\[\]]*)\]`)
)

// cause relativizes the indexes inside the causes of errors 401 and 101. A 101 cause holds
// `[prevValue != value]`, `[prevIndex != modifiedIndex]` or both in that order; a bracket is
// the index one when it is the second, or the only one and its left side is not prevValue.
func (n *normalizer) cause(code, c string) string {
	relText := func(s string) string {
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return s
		}
		return n.rel(i)
	}
	switch code {
	case "401":
		return historyCleared.ReplaceAllStringFunc(c, func(m string) string {
			sub := historyCleared.FindStringSubmatch(m)
			return "[" + relText(sub[1]) + "/" + relText(sub[2]) + "]"
		})
	case "101":
		all := compareBracket.FindAllStringSubmatchIndex(c, -1)
		if len(all) == 0 {
			return c
		}
		last := all[len(all)-1]
		left, right := c[last[2]:last[3]], c[last[4]:last[5]]
		if len(all) == 1 && (n.form.Get("prevIndex") == "" || (n.form.Has("prevValue") && left == n.form.Get("prevValue"))) {
			return c
		}
		return c[:last[0]] + "[" + relText(left) + " != " + relText(right) + "]" + c[last[1]:]
	}
	return c
}

// jsonValue is a decoded JSON value that keeps object field order.
type jsonValue struct {
	kind  byte   // '{' object, '[' array, 's' string, 'n' number, 'b' bool, '0' null, 'r' raw text
	text  string // string, number literal, true/false, or raw text
	keys  []string
	elems []*jsonValue // object values (parallel to keys) or array elements
	loose *looseValue  // the volatile value a placeholder stands for
}

// collectLoose appends the volatile values taken out of v, in document order.
func (v *jsonValue) collectLoose(out *[]looseValue) {
	if v.loose != nil {
		*out = append(*out, *v.loose)
	}
	for _, e := range v.elems {
		e.collectLoose(out)
	}
}

// field returns the value of an object's field, or nil.
func (v *jsonValue) field(name string) *jsonValue {
	if v == nil || v.kind != '{' {
		return nil
	}
	if i := slices.Index(v.keys, name); i >= 0 {
		return v.elems[i]
	}
	return nil
}

// fieldText is the text of an object's scalar field ("" when absent).
func (v *jsonValue) fieldText(name string) string {
	if f := v.field(name); f != nil {
		return f.text
	}
	return ""
}

// maskScalars replaces every scalar by its type, for shape-only comparisons.
func (v *jsonValue) maskScalars() {
	switch v.kind {
	case '{', '[':
		for _, e := range v.elems {
			e.maskScalars()
		}
	case 's':
		v.text = "<string>"
	case 'n', 'r':
		*v = jsonValue{kind: 'r', text: "<number>"}
	case 'b':
		*v = jsonValue{kind: 'r', text: "<bool>"}
	}
}

// encode writes v compactly, fields in their original order.
func (v *jsonValue) encode(b *strings.Builder) {
	switch v.kind {
	case '{':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			v.elems[i].encode(b)
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, e := range v.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.encode(b)
		}
		b.WriteByte(']')
	case 's':
		writeJSONString(b, v.text)
	case '0':
		b.WriteString("null")
	default:
		b.WriteString(v.text)
	}
}

// writeJSONString quotes s as JSON without HTML escapes, so masks like <member-id> stay
// readable (the raw body's escapes are reported by rawNotes).
func writeJSONString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// decodeJSONStream decodes one or more JSON values (a stream watch sends one per line).
func decodeJSONStream(b []byte) ([]*jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []*jsonValue
	for dec.More() {
		v, err := decodeJSONValue(dec)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("no JSON value")
	}
	return out, nil
}

// errJSONShape reports a token where a value or object key was expected.
var errJSONShape = errors.New("unexpected JSON token")

// decodeJSONValue reads one value from dec.
func decodeJSONValue(dec *json.Decoder) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		v := &jsonValue{kind: byte(t)}
		if t != '{' && t != '[' {
			return nil, errJSONShape
		}
		for dec.More() {
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				ks, ok := k.(string)
				if !ok {
					return nil, errJSONShape
				}
				v.keys = append(v.keys, ks)
			}
			e, err := decodeJSONValue(dec)
			if err != nil {
				return nil, err
			}
			v.elems = append(v.elems, e)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return v, nil
	case string:
		return &jsonValue{kind: 's', text: t}, nil
	case json.Number:
		return &jsonValue{kind: 'n', text: string(t)}, nil
	case bool:
		return &jsonValue{kind: 'b', text: strconv.FormatBool(t)}, nil
	case nil:
		return &jsonValue{kind: '0'}, nil
	}
	return nil, errJSONShape
}

// TestDiffNormalizer checks the normalizer rule by rule on hand-written answers of a server
// whose starting index is 3.
func TestDiffNormalizer(t *testing.T) {
	srv := &diffServer{m: &member{clientURL: "http://127.0.0.1:1111"}, peerURL: "http://127.0.0.1:2222",
		memberID: "8e9e05c52164694d", clusterID: "cdf818194e3a8c32", base: 3}
	sd := &diffSide{srv: srv}
	tests := []struct {
		name      string
		st        step
		header    http.Header
		body      string
		wantBody  string
		wantHdr   []string
		wantLoose []looseValue
	}{
		{
			name:     "indexes relative, 0 kept",
			st:       step{method: "GET", target: "/v2/keys/a"},
			header:   http.Header{"X-Etcd-Index": {"17"}, "Content-Length": {"9"}, "Date": {"x"}, "X-Raft-Term": {"2"}, "X-Etcd-Cluster-Id": {"cdf818194e3a8c32"}},
			body:     `{"action":"get","node":{"key":"/a","value":"1","modifiedIndex":17,"createdIndex":2}}` + "\n",
			wantBody: `{"action":"get","node":{"key":"/a","value":"1","modifiedIndex":i+14,"createdIndex":i-1}}  # ends-with-newline`,
			wantHdr:  []string{"Date", "X-Etcd-Cluster-Id", "X-Etcd-Index: i+14", "X-Raft-Term"},
		},
		{
			name:     "parse error index 0",
			st:       step{method: "GET", target: "/v2/keys/a?wait=x"},
			header:   http.Header{"X-Etcd-Index": {"0"}, "X-Etcd-Cluster-Id": {"ffff"}},
			body:     `{"errorCode":209,"message":"Invalid field","cause":"invalid value for \"wait\"","index":0}`,
			wantBody: `{"errorCode":209,"message":"Invalid field","cause":"invalid value for \"wait\"","index":0}  # escapes \"×2`,
			wantHdr:  []string{"X-Etcd-Cluster-Id: ffff", "X-Etcd-Index: 0"},
		},
		{
			name:     "in-order names and history cleared",
			st:       step{method: "GET", target: "/v2/keys/q?wait=true&waitIndex=10"},
			body:     `{"errorCode":401,"message":"m","cause":"the requested history has been cleared [148/10] /q/00000000000000000013","index":1147}`,
			wantBody: `{"errorCode":401,"message":"m","cause":"the requested history has been cleared [i+145/i+7] /q/<i+10>","index":i+1144}`,
		},
		{
			name:     "compare failed on the value only",
			st:       step{method: "PUT", target: "/v2/keys/a?prevValue=7", body: "value=8", hasBody: true},
			body:     `{"errorCode":101,"cause":"[7 != 9]"}`,
			wantBody: `{"errorCode":101,"cause":"[7 != 9]"}`,
		},
		{
			name:     "compare failed on the index only",
			st:       step{method: "DELETE", target: "/v2/keys/a?prevIndex=7"},
			body:     `{"errorCode":101,"cause":"[7 != 9]"}`,
			wantBody: `{"errorCode":101,"cause":"[i+4 != i+6]"}`,
		},
		{
			name:     "compare failed on both (prevIndex in the body)",
			st:       step{method: "PUT", target: "/v2/keys/a?prevValue=x", body: "prevIndex=7", hasBody: true},
			body:     `{"errorCode":101,"cause":"[x != y] [7 != 9]"}`,
			wantBody: `{"errorCode":101,"cause":"[x != y] [i+4 != i+6]"}`,
		},
		{
			name:     "both given, only the index failed",
			st:       step{method: "PUT", target: "/v2/keys/a?prevValue=y&prevIndex=7"},
			body:     `{"errorCode":101,"cause":"[7 != 9]"}`,
			wantBody: `{"errorCode":101,"cause":"[i+4 != i+6]"}`,
		},
		{
			name: "unsorted listing sorted, loose values in the final order",
			st:   step{method: "GET", target: "/v2/keys/d?recursive=true"},
			body: `{"action":"get","node":{"key":"/d","dir":true,"nodes":[` +
				`{"key":"/d/b","value":"","expiration":"2026-01-01T00:00:09Z","ttl":9,"modifiedIndex":5,"createdIndex":5},` +
				`{"key":"/d/a","value":"","expiration":"2026-01-01T00:00:05Z","ttl":5,"modifiedIndex":4,"createdIndex":4}]}}`,
			wantBody: `{"action":"get","node":{"key":"/d","dir":true,"nodes":[` +
				`{"key":"/d/a","value":"","expiration":"<expiration>","ttl":<ttl>,"modifiedIndex":i+1,"createdIndex":i+1},` +
				`{"key":"/d/b","value":"","expiration":"<expiration>","ttl":<ttl>,"modifiedIndex":i+2,"createdIndex":i+2}]}}`,
			wantLoose: []looseValue{{"expiration", "2026-01-01T00:00:05Z"}, {"ttl", "5"}, {"expiration", "2026-01-01T00:00:09Z"}, {"ttl", "9"}},
		},
		{
			name:     "sorted=true listing kept as sent",
			st:       step{method: "GET", target: "/v2/keys/d?sorted=true"},
			body:     `{"node":{"nodes":[{"key":"/d/b"},{"key":"/d/a"}]}}`,
			wantBody: `{"node":{"nodes":[{"key":"/d/b"},{"key":"/d/a"}]}}`,
		},
		{
			name:     "identity masked",
			st:       step{method: "GET", target: "/v2/members"},
			body:     `{"members":[{"id":"8e9e05c52164694d","name":"m1","peerURLs":["http://127.0.0.1:2222"],"clientURLs":["http://127.0.0.1:1111"]}]}` + "\n",
			wantBody: `{"members":[{"id":"<member-id>","name":"m1","peerURLs":["<peer-url>"],"clientURLs":["<client-url>"]}]}  # ends-with-newline`,
		},
		{
			name:     "text body",
			st:       step{method: "GET", target: "/v2/machines"},
			body:     "http://127.0.0.1:1111",
			wantBody: `"<client-url>"`,
		},
		{
			name:     "escapes and spaces are reported",
			st:       step{method: "GET", target: "/health"},
			body:     `{"health": "\u003c"}`,
			wantBody: `{"health":"<"}  # escapes \u003c×1 spaced`,
		},
		{
			name:     "masks and shape",
			st:       step{method: "GET", target: "/v2/stats/self", mask: []string{"uptime"}, shape: true},
			body:     `{"uptime":"1s","n":3,"b":true,"s":"x"}`,
			wantBody: `{"uptime":"<string>","n":<number>,"b":<bool>,"s":"<string>"}`,
		},
		{
			name:     "a stream of events",
			st:       step{method: "GET", target: "/v2/keys/a?wait=true&stream=true"},
			body:     `{"action":"set","node":{"modifiedIndex":4}}` + "\n" + `{"action":"set","node":{"modifiedIndex":5}}` + "\n",
			wantBody: `{"action":"set","node":{"modifiedIndex":i+1}}` + "\n" + `{"action":"set","node":{"modifiedIndex":i+2}}  # ends-with-newline`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sd.normalize(tt.st, rawResponse{status: 200, header: tt.header, body: []byte(tt.body)})
			if got.Body != tt.wantBody {
				t.Errorf("normalize body = %s\nwant %s", got.Body, tt.wantBody)
			}
			if tt.header != nil && !slices.Equal(got.Header, tt.wantHdr) {
				t.Errorf("normalize header = %q, want %q", got.Header, tt.wantHdr)
			}
			if !slices.Equal(got.loose, tt.wantLoose) {
				t.Errorf("normalize loose = %v, want %v", got.loose, tt.wantLoose)
			}
		})
	}
}

// TestDiffLooseValues checks the tolerance of the loose comparison.
func TestDiffLooseValues(t *testing.T) {
	tests := []struct {
		a, b looseValue
		want bool
	}{
		{looseValue{"ttl", "10"}, looseValue{"ttl", "9"}, true},
		{looseValue{"ttl", "10"}, looseValue{"ttl", "8"}, false},
		{looseValue{"ttl", "-1"}, looseValue{"ttl", "-1"}, true},
		{looseValue{"expiration", "2026-11-22T09:30:42.882931341Z"}, looseValue{"expiration", "2026-11-22T09:30:44.1Z"}, true},
		{looseValue{"expiration", "2026-11-22T09:30:42Z"}, looseValue{"expiration", "2026-11-22T09:30:46Z"}, false},
		{looseValue{"expiration", "2026-11-22T09:30:42+01:00"}, looseValue{"expiration", "2026-11-22T08:30:42Z"}, false},
		{looseValue{"ttl", "5"}, looseValue{"expiration", "5"}, false},
	}
	for _, tt := range tests {
		if got := tt.a.near(tt.b); got != tt.want {
			t.Errorf("%v.near(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
