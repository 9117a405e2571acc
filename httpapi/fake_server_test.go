package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/store"
)

// errFakeTimeout stands for the raft side's timeout; its text is the reference's.
var errFakeTimeout = errors.New("etcdserver: request timed out")

// fakeServer is a recording Server whose Do applies commands to a real store at once, with
// knobs for the failures a member can report.
type fakeServer struct {
	st *store.Store

	mu             sync.Mutex
	cmds           []store.Command
	reads          int
	clusterID      members.ID
	leader         members.ID
	term           uint64
	raftIndex      uint64
	members        []members.Member
	clusterVersion string
	leaderStats    []byte // nil: not the leader
	selfStats      []byte

	doErr, readErr               error
	blockDo, blockRead           bool // wait for ctx to end, then report its error like raft
	addErr, removeErr, updateErr error
	added                        []string
	removed                      []members.ID
	updated                      map[members.ID][]string
}

// testNow is the time of every test: the API's clock and the store's.
var testNow = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

// fixedClock is a store.Clock that never moves.
type fixedClock struct{}

func (fixedClock) Now() time.Time { return testNow }

// newFakeServer returns a fake over a fresh store with the namespaces of a member;
// storeOpts add to the store's options.
func newFakeServer(storeOpts ...store.Option) *fakeServer {
	opts := append([]store.Option{store.WithNamespaces("/0", "/1"), store.WithClock(fixedClock{})}, storeOpts...)
	return &fakeServer{
		st:             store.New(opts...),
		clusterID:      0xd5ed76a1906424f1,
		leader:         0x336addd95eef9faf,
		term:           2,
		raftIndex:      4,
		clusterVersion: "3.4.0",
		members: []members.Member{{
			ID: 0x336addd95eef9faf, Name: "n1",
			PeerURLs: []string{"http://127.0.0.1:2380"}, ClientURLs: []string{"http://127.0.0.1:2379"},
		}},
		leaderStats: []byte(`{"leader":"336addd95eef9faf","followers":{}}`),
		selfStats:   []byte(`{"name":"n1","id":"336addd95eef9faf","state":"StateLeader"}`),
		updated:     map[members.ID][]string{},
	}
}

func (f *fakeServer) Do(ctx context.Context, cmd *store.Command) (*store.Event, error) {
	f.mu.Lock()
	f.cmds = append(f.cmds, *cmd)
	f.raftIndex++
	err, block := f.doErr, f.blockDo
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, ctxErr(ctx)
	}
	if err != nil {
		return nil, err
	}
	return f.st.Apply(cmd)
}

func (f *fakeServer) LinearizableRead(ctx context.Context) error {
	f.mu.Lock()
	f.reads++
	f.raftIndex++
	err, block := f.readErr, f.blockRead
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctxErr(ctx)
	}
	return err
}

// ctxErr reports the end of ctx as raft does: a deadline is the reference's timeout.
func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errFakeTimeout
	}
	return ctx.Err()
}

func (f *fakeServer) ClusterID() members.ID { return f.clusterID }

func (f *fakeServer) Leader() members.ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

func (f *fakeServer) Term() uint64 { return f.term }

func (f *fakeServer) CommittedIndex() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.raftIndex
}

func (f *fakeServer) Members() []members.Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]members.Member(nil), f.members...)
}

func (f *fakeServer) AddMember(ctx context.Context, peerURLs []string) (members.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, peerURLs...)
	if f.addErr != nil {
		return members.Member{}, f.addErr
	}
	m := members.Member{ID: 0xabc, PeerURLs: peerURLs}
	f.members = append(f.members, m)
	return m, nil
}

func (f *fakeServer) RemoveMember(ctx context.Context, id members.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	return f.removeErr
}

func (f *fakeServer) UpdateMember(ctx context.Context, id members.ID, peerURLs []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updated[id] = peerURLs
	return f.updateErr
}

func (f *fakeServer) SelfStats() []byte { return f.selfStats }

func (f *fakeServer) LeaderStats() ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leaderStats, f.leaderStats != nil
}

func (f *fakeServer) ClusterVersion() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clusterVersion
}

func (f *fakeServer) set(fn func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeServer) lastCommand() store.Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cmds) == 0 {
		return store.Command{}
	}
	return f.cmds[len(f.cmds)-1]
}

// testAPI is a running API over a fake server.
type testAPI struct {
	srv  *fakeServer
	http *httptest.Server
	reg  *prometheus.Registry
	// handler is the API itself, for tests that drive it without a socket.
	handler http.Handler
	// client shows redirects instead of following them.
	client *http.Client
}

// newTestAPI starts the API on a real loopback listener; opts adjust the Config.
func newTestAPI(t testing.TB, opts ...func(*Config)) *testAPI {
	t.Helper()
	return newTestAPIOn(t, newFakeServer(), opts...)
}

// newTestAPIOn is newTestAPI over a given fake.
func newTestAPIOn(t testing.TB, f *fakeServer, opts ...func(*Config)) *testAPI {
	t.Helper()
	ta := &testAPI{srv: f, reg: prometheus.NewRegistry()}
	cfg := Config{
		Server:         f,
		KV:             f.st,
		Logger:         testLogger(t),
		RequestTimeout: 5 * time.Second,
		Version:        "3.4.23",
		Registry:       ta.reg,
		Clock:          func() time.Time { return testNow },
	}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ta.handler = h
	ta.http = httptest.NewServer(h)
	t.Cleanup(ta.http.Close)
	ta.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return ta
}

func testLogger(t testing.TB) zerolog.Logger {
	if tt, ok := t.(*testing.T); ok {
		return zerolog.New(zerolog.NewTestWriter(tt)).Level(zerolog.DebugLevel)
	}
	return zerolog.Nop()
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request; body, when not empty, is sent url-encoded unless a Content-Type
// header is given in hdr ("Name: value" strings).
func (ta *testAPI) do(t testing.TB, method, target, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ta.http.URL+target, rd)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, target, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", formContentType)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := ta.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// rawDo sends a request line exactly as given, without the client's URL handling.
func (ta *testAPI) rawDo(t testing.TB, method, target string) response {
	t.Helper()
	conn, err := net.Dial("tcp", ta.http.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", method, target); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // polling a condition, not synchronizing on time
	}
}
