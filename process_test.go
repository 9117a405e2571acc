package main

// Process-level tests: the built binary started the way users start it, on 127.0.0.1 and
// free ports, killed, restarted and damaged on disk.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// ourBinary builds bin/etcd once per test run into a temporary directory.
func ourBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(buildOurBinary) // TestMain has normally done it already
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// freePort returns a port on 127.0.0.1 that is free now and that no outgoing connection
// can take before the server binds it: it is drawn at random below the kernel's ephemeral
// range (ports from ":0" are ephemeral ones, and under a full test run another process's
// client connection sometimes got the same port first). Each port is handed out once per
// test process.
func freePort(t testing.TB) int {
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

// syncBuffer collects a process's output safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// member is one server process.
type member struct {
	t         testing.TB
	bin       string
	args      []string
	env       []string
	dataDir   string
	clientURL string
	cmd       *exec.Cmd
	out       *syncBuffer
	done      chan struct{}
	exitErr   error
	httpc     *http.Client // for waitReady and do (https members); nil: http.DefaultClient
}

func (m *member) client() *http.Client {
	if m.httpc != nil {
		return m.httpc
	}
	return http.DefaultClient
}

// newMember prepares (but does not start) a single-member server with its own ports.
func newMember(t testing.TB, bin, dataDir string, extra ...string) *member {
	cp, pp := freePort(t), freePort(t)
	client := fmt.Sprintf("http://127.0.0.1:%d", cp)
	peer := fmt.Sprintf("http://127.0.0.1:%d", pp)
	args := []string{
		"--name", "m1", "--data-dir", dataDir,
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "m1=" + peer,
	}
	if filepath.Base(bin) == "etcd" && bin == "etcd" {
		args = append(args, "--enable-v2")
	}
	return &member{t: t, bin: bin, args: append(args, extra...), dataDir: dataDir, clientURL: client}
}

// start runs the process; it does not wait for readiness.
func (m *member) start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, m.args...)
	m.cmd.Env = append(os.Environ(), m.env...)
	m.out = &syncBuffer{}
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	m.done = make(chan struct{})
	go func() {
		m.exitErr = m.cmd.Wait()
		close(m.done)
	}()
	m.t.Cleanup(func() {
		m.kill()
		if m.t.Failed() {
			m.t.Logf("output of %s:\n%s", m.bin, m.out.String())
		}
	})
}

// startReady starts the process and waits until it serves a keys read.
func (m *member) startReady() {
	m.t.Helper()
	m.start()
	m.waitReady()
}

func (m *member) waitReady() {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			m.t.Fatalf("server exited before ready: %v\n%s", m.exitErr, m.out.String())
		default:
		}
		resp, err := m.client().Get(m.clientURL + "/v2/keys/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatalf("server not ready within 20s:\n%s", m.out.String())
}

// kill sends SIGKILL and waits.
func (m *member) kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	select {
	case <-m.done:
		return
	default:
	}
	m.cmd.Process.Kill()
	<-m.done
}

// stop sends SIGTERM and returns the exit code.
func (m *member) stop() int {
	m.t.Helper()
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		m.t.Fatal("server did not exit within 20s of SIGTERM")
	}
	return exitCode(m.exitErr)
}

// wait waits for the process to exit on its own and returns its exit code.
func (m *member) wait(d time.Duration) int {
	m.t.Helper()
	select {
	case <-m.done:
	case <-time.After(d):
		m.t.Fatalf("server still running after %v:\n%s", d, m.out.String())
	}
	return exitCode(m.exitErr)
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// failedStart runs bin with args, in dir and with env added to the test's environment,
// expects exit status 1 (a configuration error) and returns the combined output.
func failedStart(t *testing.T, bin, dir string, args, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if code := exitCode(err); code != 1 {
		t.Fatalf("exit code %d, want 1; output:\n%s", code, out)
	}
	return string(out)
}

// lastLine is the last line of a process's output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// do sends one request with an optional urlencoded body and returns status and body.
func (m *member) do(method, path string, form url.Values) (int, string) {
	m.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, m.clientURL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := m.client().Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProcessHelloWorld(t *testing.T) {
	m := newMember(t, ourBinary(t), filepath.Join(t.TempDir(), "d"))
	m.startReady()
	code, body := m.do("PUT", "/v2/keys/message", url.Values{"value": {"Hello world"}})
	want := `{"action":"set","node":{"key":"/message","value":"Hello world","modifiedIndex":4,"createdIndex":4}}` + "\n"
	if code != 201 || body != want {
		t.Errorf("PUT /v2/keys/message = %d %q, want 201 %q", code, body, want)
	}
	if c := m.stop(); c != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", c)
	}
}

func TestProcessFlagsFromEnvironmentAndSingleDash(t *testing.T) {
	bin := ourBinary(t)
	dir := t.TempDir()
	cp, pp := freePort(t), freePort(t)
	client := fmt.Sprintf("http://127.0.0.1:%d", cp)
	peer := fmt.Sprintf("http://127.0.0.1:%d", pp)
	m := &member{t: t, bin: bin, dataDir: filepath.Join(dir, "x"), clientURL: client,
		// Single-dash forms, as python-etcd's test suite writes them, plus ETCD_* for the rest.
		args: []string{"-name", "envtest", "-listen-client-urls", client, "-advertise-client-urls", client},
		env: []string{
			"ETCD_DATA_DIR=" + filepath.Join(dir, "x"),
			"ETCD_LISTEN_PEER_URLS=" + peer, "ETCD_INITIAL_ADVERTISE_PEER_URLS=" + peer,
			"ETCD_INITIAL_CLUSTER=envtest=" + peer,
			"ETCD_NAME=shadowed", // the flag wins
			"ETCD_NOT_A_FLAG=1",
		}}
	m.startReady()
	_, body := m.do("GET", "/v2/members", nil)
	if !strings.Contains(body, `"name":"envtest"`) {
		t.Errorf("members = %s, want the name from the flag", body)
	}
	if _, err := os.Stat(filepath.Join(dir, "x", "member", "wal")); err != nil {
		t.Errorf("ETCD_DATA_DIR not used: %v", err)
	}
	out := m.out.String()
	for _, want := range []string{"ETCD_NAME", "shadowed by command-line flag", "ETCD_NOT_A_FLAG", "unrecognized environment variable"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestProcessBadConfigurationExitsWithOneLine(t *testing.T) {
	bin := ourBinary(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyURL := "http://" + busy.Addr().String()
	freeURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	freePeerURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, nil, "flag provided but not defined: -bogus"},
		{"bad value", []string{"--snapshot-count", "abc"}, nil, `invalid value "abc" for flag -snapshot-count`},
		{"bad env value", nil, []string{"ETCD_SNAPSHOT_COUNT=abc"}, `invalid value "abc" for ETCD_SNAPSHOT_COUNT: parse error`},
		{"bad cluster state", []string{"--initial-cluster-state", "maybe"}, nil, `invalid value "maybe" for --initial-cluster-state`},
		{"election vs heartbeat", []string{"--heartbeat-interval", "300"}, nil, "should be at least as 5 times as --heartbeat-interval"},
		{"listen without advertise", []string{"--listen-client-urls", "http://127.0.0.1:1"}, nil, "--advertise-client-urls is required"},
		{"busy port", []string{"--data-dir", filepath.Join(dir, "b"), "--listen-client-urls", busyURL, "--advertise-client-urls", busyURL}, nil, "address already in use"},
		{"unusable data dir", []string{"--data-dir", filepath.Join(file, "sub")}, nil, "cannot access data directory"},
		// Own ports: the default 2379/2380 may be taken on a developer's machine.
		{"name not in cluster", []string{"--data-dir", filepath.Join(dir, "n"), "--name", "zz",
			"--listen-client-urls", freeURL, "--advertise-client-urls", freeURL,
			"--listen-peer-urls", freePeerURL, "--initial-advertise-peer-urls", freePeerURL}, nil, `couldn't find local name "zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if last := lastLine(failedStart(t, bin, dir, tt.args, tt.env)); !strings.Contains(last, tt.want) {
				t.Errorf("last line %q lacks %q", last, tt.want)
			}
		})
	}
}

func TestProcessRestartKeepsData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	bin := ourBinary(t)
	m := newMember(t, bin, dir)
	m.startReady()
	m.do("PUT", "/v2/keys/dir/a", url.Values{"value": {"1"}})
	m.do("POST", "/v2/keys/queue", url.Values{"value": {"job"}})
	_, before := m.do("GET", "/v2/keys/?recursive=true&sorted=true", nil)
	if c := m.stop(); c != 0 {
		t.Fatalf("exit code %d", c)
	}
	m2 := newMember(t, bin, dir)
	m2.startReady()
	_, after := m2.do("GET", "/v2/keys/?recursive=true&sorted=true", nil)
	if before != after {
		t.Errorf("tree changed across restart:\nbefore %s\nafter  %s", before, after)
	}
}

// TestProcessKill9LosesNoAcknowledgedWrite kills the server with SIGKILL in the middle of
// a 64-client write load, five times, and checks every acknowledged write after restart.
func TestProcessKill9LosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 loop is slow")
	}
	dir := filepath.Join(t.TempDir(), "d")
	bin := ourBinary(t)
	acked := map[string]string{}
	for round := range 5 {
		m := newMember(t, bin, dir)
		m.startReady()
		var mu sync.Mutex
		stop := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 10 * time.Second}
		for c := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("/load/r%d-c%d-%d", round, c, i)
					val := fmt.Sprintf("v%d", i)
					req, _ := http.NewRequest("PUT", m.clientURL+"/v2/keys"+key, strings.NewReader("value="+val))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					resp, err := client.Do(req)
					if err != nil {
						return // the server died
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == 201 {
						mu.Lock()
						acked[key] = val
						mu.Unlock()
					}
				}
			}()
		}
		// Let some writes through, then kill at an arbitrary moment.
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= (round+1)*300 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Duration(5+round*7) * time.Millisecond)
		}
		m.kill()
		close(stop)
		wg.Wait()
	}
	if len(acked) < 500 {
		t.Fatalf("only %d writes acknowledged; the load did not run", len(acked))
	}
	m := newMember(t, bin, dir)
	m.startReady()
	_, body := m.do("GET", "/v2/keys/load?recursive=true", nil)
	var resp struct {
		Node struct {
			Nodes []struct {
				Key, Value string
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("bad listing: %v", err)
	}
	have := map[string]string{}
	for _, n := range resp.Node.Nodes {
		have[n.Key] = n.Value
	}
	var lost []string
	for k, v := range acked {
		if have[k] != v {
			lost = append(lost, k)
		}
	}
	sort.Strings(lost)
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged writes lost, e.g. %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
}

// lastWAL returns the newest WAL segment of a data dir and the offset just past its last
// non-zero byte (segments are preallocated with zeros).
func lastWAL(t *testing.T, dataDir string) (string, int64) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dataDir, "member", "wal", "*.wal"))
	if len(segs) == 0 {
		t.Fatal("no WAL segment")
	}
	sort.Strings(segs)
	path := segs[len(segs)-1]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := int64(len(b))
	for end > 0 && b[end-1] == 0 {
		end--
	}
	return path, end
}

func TestProcessTornWALTailIsRepaired(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	bin := ourBinary(t)
	m := newMember(t, bin, dir)
	m.startReady()
	for i := range 20 {
		m.do("PUT", fmt.Sprintf("/v2/keys/k%d", i), url.Values{"value": {"v"}})
	}
	m.kill()
	path, end := lastWAL(t, dir)
	// Cut the last record in half: what a crash in the middle of a write leaves.
	if err := os.Truncate(path, end-6); err != nil {
		t.Fatal(err)
	}
	m2 := newMember(t, bin, dir)
	m2.startReady()
	if code, _ := m2.do("GET", "/v2/keys/k10", nil); code != 200 {
		t.Errorf("GET /k10 after repair = %d", code)
	}
	if code, _ := m2.do("PUT", "/v2/keys/after", url.Values{"value": {"x"}}); code != 201 {
		t.Errorf("write after repair = %d", code)
	}
	if _, err := os.Stat(path + ".broken"); err != nil {
		t.Errorf("no .broken copy of the repaired segment: %v", err)
	}
}

func TestProcessCorruptWALRefusesToStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	bin := ourBinary(t)
	m := newMember(t, bin, dir)
	m.startReady()
	for i := range 50 {
		m.do("PUT", fmt.Sprintf("/v2/keys/k%d", i), url.Values{"value": {strings.Repeat("v", 100)}})
	}
	m.stop()
	path, end := lastWAL(t, dir)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	f.ReadAt(buf, end/2)
	for i := range buf {
		buf[i] ^= 0x5a
	}
	f.WriteAt(buf, end/2)
	f.Close()

	m2 := newMember(t, bin, dir)
	m2.start()
	if code := m2.wait(20 * time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(m2.out.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, filepath.Base(path)) || !strings.Contains(last, "offset") {
		t.Errorf("last line %q does not name the file and offset", last)
	}
}

func TestProcessAcceptsV3FlagsFromUnitFiles(t *testing.T) {
	m := newMember(t, ourBinary(t), filepath.Join(t.TempDir(), "d"),
		"--enable-v2", "--quota-backend-bytes", "8589934592", "--auto-compaction-retention", "1", "--logger", "zap")
	m.startReady()
	if !strings.Contains(m.out.String(), "ignoring etcd v3 flag") {
		t.Errorf("no warning about ignored v3 flags")
	}
}

// lookPath is exec.LookPath (kept here so tests share one import of os/exec).
func lookPath(name string) (string, error) { return exec.LookPath(name) }
