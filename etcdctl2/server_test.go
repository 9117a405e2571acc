package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serverKind is a v2 server implementation the process-level tests run against.
type serverKind struct {
	name string
	// binary returns the server binary, or skips the test when there is none.
	binary func(t *testing.T) string
}

// serverKinds are the servers under test: the reference and ours.
func serverKinds() []serverKind {
	return []serverKind{
		{name: "reference", binary: func(t *testing.T) string { needReference(t, true); return refEtcd }},
		{name: "ours", binary: ourServer},
	}
}

var ourServerOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "etcd2-server-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "etcd")
	build := exec.Command("go", "build", "-o", bin, "github.com/etcd2/etcd2")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v: %s", err, out)
	}
	return bin, nil
})

// ourServer builds the module's server once per test binary.
func ourServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test skipped in -short mode")
	}
	needReference(t, true) // the comparison still needs the reference etcdctl
	bin, err := ourServerOnce()
	if err != nil {
		t.Fatalf("building our server: %v", err)
	}
	return bin
}

// memberProc is one running server process.
type memberProc struct {
	name, clientURL, peerURL string
	clientPort, peerPort     int
	cmd                      *exec.Cmd
	dataDir                  string
	exited                   chan struct{} // closed when the process has been waited for
	log                      *lockedBuffer
}

// cluster is a set of members started together.
type cluster struct {
	members []*memberProc
	ours    bool
	// hc is the test's own client for the cluster (TLS when the cluster serves it).
	hc *http.Client
	// started is when every member answered healthy (their peer streams are up).
	started time.Time
}

// reconfigSettle is how long the reference's strict reconfiguration check wants every
// member connected before it accepts a membership change (its health interval is 5 s;
// earlier it answers 500 Internal Server Error), counted from when the streams came up.
const reconfigSettle = 6 * time.Second

// awaitReconfigurable sleeps until the cluster is old enough for membership changes.
func (c *cluster) awaitReconfigurable() {
	if d := time.Until(c.started.Add(reconfigSettle)); d > 0 {
		time.Sleep(d)
	}
}

func (c *cluster) clientURLs() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.clientURL)
	}
	return out
}

// freePort returns a port on 127.0.0.1 that is free now and that no outgoing connection
// can take before the server binds it: it is drawn at random below the kernel's ephemeral
// range (ports from ":0" are ephemeral ones, and under a full test run another process's
// client connection sometimes got the same port first). Each port is handed out once per
// test process.
func freePort(t *testing.T) int {
	t.Helper()
	low := ephemeralLow()
	for range 1000 {
		if low <= minTestPort+100 {
			break // no room below the ephemeral range: let the kernel choose
		}
		p := minTestPort + rand.IntN(low-minTestPort)
		if _, taken := portsGiven.LoadOrStore(p, true); taken {
			continue
		}
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			ln.Close()
			return p
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// minTestPort is the lowest port freePort draws: above the well-known services.
const minTestPort = 10000

// portsGiven holds the ports freePort handed out in this process.
var portsGiven sync.Map

// ephemeralLow is the first port of the kernel's ephemeral range (Linux default 32768).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}

// startCluster starts n members of bin on fresh ports and data dirs with the reference
// etcd's flags, and waits until every member reports healthy. For our server, a member
// that does not come up skips the test instead of failing it.
func startCluster(t *testing.T, bin string, n int, ours bool, extra ...string) *cluster {
	t.Helper()
	return startClusterWith(t, bin, n, ours, nil, extra...)
}

// startClusterWith is startCluster serving clients over TLS when tlsCfg is set (extra
// then carries the server's certificate flags).
func startClusterWith(t *testing.T, bin string, n int, ours bool, tlsCfg *tls.Config, extra ...string) *cluster {
	t.Helper()
	c := &cluster{ours: ours, hc: &http.Client{Timeout: 5 * time.Second}}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
		c.hc.Transport = &http.Transport{TLSClientConfig: tlsCfg}
	}
	var initial []string
	for i := 1; i <= n; i++ {
		m := &memberProc{name: fmt.Sprintf("n%d", i), clientPort: freePort(t), peerPort: freePort(t), log: &lockedBuffer{}}
		m.clientURL = fmt.Sprintf("%s://127.0.0.1:%d", scheme, m.clientPort)
		m.peerURL = fmt.Sprintf("http://127.0.0.1:%d", m.peerPort)
		initial = append(initial, m.name+"="+m.peerURL)
		c.members = append(c.members, m)
	}
	dir := t.TempDir()
	for _, m := range c.members {
		m.dataDir = filepath.Join(dir, m.name)
		startMember(t, bin, m, append([]string{
			"--enable-v2",
			"--name", m.name,
			"--data-dir", m.dataDir,
			"--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-token", "etcdctl2-test",
			"--initial-cluster-state", "new",
			// Generous timeouts: CI runs this beside -race tests on two cores, and a
			// reference member that misses heartbeats for 200 ms drops its leader.
			"--heartbeat-interval", "50",
			"--election-timeout", "1000",
		}, extra...))
	}
	for _, m := range c.members {
		if err := waitHealthy(c.hc, m, 30*time.Second); err != nil {
			t.Fatalf("member %s: %v\n%s", m.name, err, m.log.String())
		}
	}
	c.started = time.Now()
	return c
}

// startMember starts m's process with its URLs and args.
func startMember(t *testing.T, bin string, m *memberProc, args []string) {
	t.Helper()
	args = append([]string{
		"--listen-client-urls", m.clientURL,
		"--advertise-client-urls", m.clientURL,
		"--listen-peer-urls", m.peerURL,
		"--initial-advertise-peer-urls", m.peerURL,
	}, args...)
	m.cmd = exec.Command(bin, args...)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	m.exited = make(chan struct{})
	go func() {
		m.cmd.Wait()
		close(m.exited)
	}()
	t.Cleanup(func() { stopMember(m) })
}

// restartFrom starts one member of bin on fresh ports with args (a --data-dir holding
// data, typically) without waiting for it.
func restartFrom(t *testing.T, bin string, args []string) *cluster {
	t.Helper()
	m := &memberProc{name: "r1", clientPort: freePort(t), peerPort: freePort(t), log: &lockedBuffer{}}
	m.clientURL = fmt.Sprintf("http://127.0.0.1:%d", m.clientPort)
	m.peerURL = fmt.Sprintf("http://127.0.0.1:%d", m.peerPort)
	startMember(t, bin, m, append([]string{"--name", m.name, "--initial-cluster", m.name + "=" + m.peerURL,
		"--heartbeat-interval", "50", "--election-timeout", "1000"}, args...))
	return &cluster{members: []*memberProc{m}, ours: true, hc: &http.Client{Timeout: 5 * time.Second}}
}

// runCLI runs our etcdctl and returns its stdout; any failure fails the test.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(ourCLI, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("etcdctl %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// waitHealthy polls /health until the member reports healthy.
func waitHealthy(hc *http.Client, m *memberProc, timeout time.Duration) error {
	exited := false
	ok := waitFor(timeout, func() bool {
		select {
		case <-m.exited:
			exited = true
			return true
		default:
		}
		resp, err := hc.Get(m.clientURL + "/health")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"true"`)
	})
	switch {
	case exited:
		return errors.New("exited")
	case !ok:
		return errors.New("not healthy before the deadline")
	}
	// Startup writes (member attributes, cluster version) consume indexes; let them
	// land before a scenario measures its base index.
	if !waitFor(timeout, func() bool { return settled(hc, m.clientURL) }) {
		return errors.New("member not published before the deadline")
	}
	return nil
}

// settled tells whether every member has published its name and the cluster version is
// decided.
func settled(hc *http.Client, clientURL string) bool {
	resp, err := hc.Get(clientURL + "/v2/members")
	if err != nil {
		return false
	}
	var list struct{ Members []struct{ Name string } }
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list.Members) == 0 {
		return false
	}
	for _, m := range list.Members {
		if m.Name == "" {
			return false
		}
	}
	resp, err = hc.Get(clientURL + "/version")
	if err != nil {
		return false
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && !strings.Contains(string(b), "not_decided")
}

// waitFor polls cond every few milliseconds until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
}

func stopMember(m *memberProc) {
	select {
	case <-m.exited:
		return
	default:
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
}

// index is the cluster's X-Etcd-Index.
func (c *cluster) index(t *testing.T) uint64 {
	t.Helper()
	// A quorum read: a write answered by another member is counted even when member 0
	// has not applied it yet.
	resp, err := c.hc.Get(c.members[0].clientURL + "/v2/keys/?quorum=true")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	n, err := strconv.ParseUint(resp.Header.Get("X-Etcd-Index"), 10, 64)
	if err != nil {
		t.Fatalf("X-Etcd-Index: %v", err)
	}
	return n
}

// blackhole accepts connections and never answers: requests to it time out.
func blackhole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// deadURL is an address nothing listens on.
func deadURL(t *testing.T) string {
	return fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
}

// lockedBuffer is a bytes buffer safe for a process writing and a test reading.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
