package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcd2/etcd2/discovery/dnstest"
)

// TestEndpointsFromSRVThroughDNS resolves --discovery-srv with Go's resolver sent to a
// DNS server inside the test (SRV records over the wire, not a fake lookup function).
func TestEndpointsFromSRVThroughDNS(t *testing.T) {
	dns := dnstest.Start(t, []dnstest.SRV{
		{Name: "_etcd-client-ssl._tcp.etcd2.test.", Target: "a.etcd2.test.", Port: 2379, Priority: 1},
		{Name: "_etcd-client._tcp.etcd2.test.", Target: "b.etcd2.test.", Port: 4001, Priority: 1},
		{Name: "_etcd-client._tcp.etcd2.test.", Target: "c.etcd2.test.", Port: 4002, Priority: 2},
		{Name: "_etcd-client-blue._tcp.etcd2.test.", Target: "d.etcd2.test.", Port: 1, Priority: 1},
	}, nil)
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, dns.Addr)
	}}
	tests := []struct {
		name       string
		args, env  []string
		want       []string
		wantStderr string
	}{
		{"secure only", []string{"-D", "etcd2.test"}, nil, []string{"https://a.etcd2.test.:2379"},
			"ignoring discovered insecure endpoint \"http://b.etcd2.test.:4001\"\n" +
				"ignoring discovered insecure endpoint \"http://c.etcd2.test.:4002\"\n"},
		{"insecure allowed", []string{"--discovery-srv", "etcd2.test", "--insecure-discovery"}, nil,
			[]string{"https://a.etcd2.test.:2379", "http://b.etcd2.test.:4001", "http://c.etcd2.test.:4002"}, ""},
		{"service name", []string{"-D", "etcd2.test", "--insecure-discovery"}, []string{"ETCDCTL_DISCOVERY_SRV_NAME", "blue"},
			[]string{"http://d.etcd2.test.:1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := globalContext(t, tt.args...)
			var stderr strings.Builder
			sys := &system{getenv: envOf(tt.env...), stderr: &stderr, lookupSRV: resolver.LookupSRV}
			got, err := endpoints(c.Context, c, sys, readDiscovery(c, sys.getenv))
			if err != nil || !slices.Equal(got, tt.want) || stderr.String() != tt.wantStderr {
				t.Errorf("endpoints(%q) = %q, %v, stderr %q; want %q, stderr %q", tt.args, got, err, stderr.String(), tt.want, tt.wantStderr)
			}
		})
	}
	// No records at all: the error names both lookups.
	c := globalContext(t, "-D", "none.test")
	sys := &system{getenv: envOf(), stderr: &strings.Builder{}, lookupSRV: resolver.LookupSRV}
	if _, err := endpoints(c.Context, c, sys, readDiscovery(c, sys.getenv)); err == nil ||
		!strings.HasPrefix(err.Error(), "dns lookup errors: lookup _etcd-client-ssl._tcp.none.test on ") {
		t.Errorf("endpoints without records: %v", err)
	}
}

// TestCLIFindsClusterBySRV: three members of ours bootstrap from SRV records
// (_etcd-server._tcp) and the CLI finds them from SRV records (_etcd-client._tcp) only;
// the records and the targets' A records come from a DNS server inside the test, and the
// CLI dials the names it found through it.
func TestCLIFindsClusterBySRV(t *testing.T) {
	bin := ourServer(t)
	var ms []*memberProc
	var srvs []dnstest.SRV
	a := map[string]string{"localhost.": "127.0.0.1"}
	for i := range 3 {
		m := &memberProc{name: fmt.Sprintf("s%d", i+1), clientPort: freePort(t), peerPort: freePort(t), log: &lockedBuffer{}}
		m.clientURL = fmt.Sprintf("http://127.0.0.1:%d", m.clientPort)
		m.peerURL = fmt.Sprintf("http://127.0.0.1:%d", m.peerPort)
		host := fmt.Sprintf("m%d.etcd2.test.", i+1)
		srvs = append(srvs,
			dnstest.SRV{Name: "_etcd-server._tcp.etcd2.test.", Target: "localhost.", Port: uint16(m.peerPort), Priority: 1},
			dnstest.SRV{Name: "_etcd-client._tcp.etcd2.test.", Target: host, Port: uint16(m.clientPort), Priority: 1})
		a[host] = "127.0.0.1"
		ms = append(ms, m)
	}
	dns := dnstest.Start(t, srvs, a)
	dir := t.TempDir()
	for _, m := range ms {
		startMember(t, bin, m, []string{"--name", m.name, "--data-dir", filepath.Join(dir, m.name),
			"--discovery-srv", "etcd2.test", "--discovery-srv-resolver", dns.Addr, "--initial-cluster-token", "srv",
			"--heartbeat-interval", "50", "--election-timeout", "1000"})
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, m := range ms {
		if err := waitHealthy(hc, m, 30*time.Second); err != nil {
			t.Fatalf("member %s: %v\n%s", m.name, err, m.log.String())
		}
	}
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, dns.Addr)
	}}
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr strings.Builder
		sys := &system{
			stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			getenv: envOf(), environ: func() []string { return nil },
			lookupSRV: resolver.LookupSRV, resolver: resolver,
			interruptible: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithCancel(ctx)
			},
			rand: rand.New(rand.NewPCG(1, 2)),
		}
		code := run(t.Context(), sys, append([]string{"etcdctl", "--discovery-srv", "etcd2.test", "--insecure-discovery"}, args...))
		return stdout.String(), stderr.String(), code
	}
	for _, tt := range []struct {
		args       []string
		wantStdout string
	}{
		{[]string{"set", "/srv/found", "yes"}, "yes\n"},
		{[]string{"--no-sync", "get", "/srv/found"}, "yes\n"},
		{[]string{"get", "/srv/found"}, "yes\n"},
	} {
		out, errOut, code := cli(tt.args...)
		if code != 0 || out != tt.wantStdout {
			t.Errorf("etcdctl -D etcd2.test %q = exit %d, stdout %q, stderr %q; want %q", tt.args, code, out, errOut, tt.wantStdout)
		}
	}
	out, errOut, code := cli("member", "list")
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Errorf("member list through SRV = exit %d, %q, %q", code, out, errOut)
	}
}
