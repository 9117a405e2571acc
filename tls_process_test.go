package main

// Process-level TLS tests (issue #7 item 1): the built binary with certificates generated
// here, clients that present good, missing, foreign and revoked certificates, members
// from another CA trying to join, --auto-tls, and configuration mistakes.

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv2 "go.etcd.io/etcd/client/v2"
)

// tlsTestPKI is one cluster's certificates: the members' (server and peer, for
// 127.0.0.1), a client's, a revoked client's (listed in crlFile), and a client and a
// member certificate from a foreign CA.
type tlsTestPKI struct {
	ca, foreign            *testCA
	member, client         *testCert
	revoked, foreignClient *testCert
	crlFile                string
}

func newTLSTestPKI(t *testing.T) *tlsTestPKI {
	p := &tlsTestPKI{ca: newTestCA(t, "etcd2 test CA"), foreign: newTestCA(t, "foreign CA")}
	p.member = p.ca.server("member")
	p.client = p.ca.client("client")
	p.revoked = p.ca.client("revoked")
	p.foreignClient = p.foreign.client("client")
	p.crlFile = p.ca.crl("ca.crl", p.revoked)
	return p
}

// serverFlags are the TLS flags of a member of this PKI: TLS with client certificates
// required on both listeners, and the CRL for clients.
func (p *tlsTestPKI) serverFlags() []string {
	return []string{
		"--cert-file", p.member.certFile, "--key-file", p.member.keyFile,
		"--trusted-ca-file", p.ca.file, "--client-cert-auth", "--client-crl-file", p.crlFile,
		"--peer-cert-file", p.member.certFile, "--peer-key-file", p.member.keyFile,
		"--peer-trusted-ca-file", p.ca.file, "--peer-client-cert-auth",
		"--peer-cert-allowed-cn", "member",
	}
}

// httpClient is an HTTPS client trusting the CA and presenting c (nil: nothing).
func (p *tlsTestPKI) httpClient(c *testCert) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: p.ca.clientConfig(c)}}
}

// useHTTPS turns a member prepared by newMember/newCluster into an https one: every
// http URL in its flags becomes https, and its readiness probe uses hc.
func useHTTPS(m *member, hc *http.Client, extra ...string) {
	for i, a := range m.args {
		m.args[i] = strings.ReplaceAll(a, "http://127.0.0.1", "https://127.0.0.1")
	}
	m.args = append(m.args, extra...)
	m.clientURL = strings.Replace(m.clientURL, "http://", "https://", 1)
	m.httpc = hc
}

// newTLSCluster starts n members of bin with https client and peer URLs and the PKI's
// flags plus extra.
func newTLSCluster(t *testing.T, bin string, n int, p *tlsTestPKI, extra ...string) *cluster {
	c := newCluster(t, bin, n)
	for i := range c.members {
		useHTTPS(c.members[i], p.httpClient(p.client), append(p.serverFlags(), extra...)...)
		c.peers[i] = strings.Replace(c.peers[i], "http://", "https://", 1)
	}
	c.startAll()
	return c
}

// rawHTTPS sends one HTTP/1.1 request over its own TLS connection, written by hand the
// way python-etcd's urllib3 does it (form body, Connection: close), and returns the
// status line and body. A refused handshake is an error.
func rawHTTPS(rawURL string, cfg *tls.Config, method, form string) (string, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", err
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	conn, err := d.Dial("tcp", u.Host)
	if err != nil {
		return "", "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: identity\r\nConnection: close\r\n", method, u.RequestURI(), u.Host)
	if form != "" {
		req += fmt.Sprintf("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", len(form))
	}
	if _, err := conn.Write([]byte(req + "\r\n" + form)); err != nil {
		return "", "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.Status, b.String(), err
}

// refusedByServer reports whether err is the server's TLS alert: in TLS 1.3 the client
// finishes its half of the handshake before the server judges its certificate, so the
// refusal arrives as an alert on the first read.
func refusedByServer(err error) bool {
	return err != nil && strings.Contains(err.Error(), "remote error: tls: ")
}

// v2Client is a go.etcd.io/etcd/client/v2 client of the endpoints presenting c.
func (p *tlsTestPKI) v2Client(t *testing.T, c *testCert, endpoints ...string) clientv2.Client {
	t.Helper()
	cl, err := clientv2.New(clientv2.Config{
		Endpoints:               endpoints,
		Transport:               &http.Transport{TLSClientConfig: p.ca.clientConfig(c)},
		HeaderTimeoutPerRequest: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestTLSProcessClusterWithClientCertAuth(t *testing.T) {
	p := newTLSTestPKI(t)
	c := newTLSCluster(t, ourBinary(t), 3, p)
	var endpoints []string
	for _, m := range c.members {
		endpoints = append(endpoints, m.clientURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("Go v2 client with a good certificate", func(t *testing.T) {
		cl := p.v2Client(t, p.client, endpoints[0])
		if err := cl.Sync(ctx); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if eps := cl.Endpoints(); len(eps) != 3 || !strings.HasPrefix(eps[0], "https://127.0.0.1:") {
			t.Errorf("endpoints after sync = %v, want the three https client URLs", eps)
		}
		if _, err := clientv2.NewKeysAPI(cl).Set(ctx, "/tls/go", "written through n1", nil); err != nil {
			t.Fatalf("Set: %v", err)
		}
		// Replicated over the TLS peer links: a quorum read on the third member sees it.
		far := clientv2.NewKeysAPI(p.v2Client(t, p.client, endpoints[2]))
		got, err := far.Get(ctx, "/tls/go", &clientv2.GetOptions{Quorum: true})
		if err != nil || got.Node.Value != "written through n1" {
			t.Fatalf("quorum Get on n3 = %+v, %v", got, err)
		}
	})

	t.Run("raw HTTPS client with a good certificate", func(t *testing.T) {
		status, body, err := rawHTTPS(endpoints[1]+"/v2/keys/tls/raw", p.ca.clientConfig(p.client), "PUT", "value=raw")
		if err != nil || status != "201 Created" || !strings.Contains(body, `"value":"raw"`) {
			t.Fatalf("PUT = %q %q, %v", status, body, err)
		}
		status, body, err = rawHTTPS(endpoints[0]+"/v2/keys/tls/raw?quorum=true", p.ca.clientConfig(p.client), "GET", "")
		if err != nil || status != "200 OK" || !strings.Contains(body, `"value":"raw"`) {
			t.Fatalf("GET = %q %q, %v", status, body, err)
		}
	})

	refused := []struct {
		name   string
		cert   *testCert
		logged string // the reason in the member's "rejected connection" line
	}{
		{"no certificate", nil, "didn't provide a certificate"},
		{"certificate of another CA", p.foreignClient, "certificate signed by unknown authority"},
		{"revoked certificate", p.revoked, "certificate revoked"},
	}
	for _, tt := range refused {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			for i, m := range c.members {
				_, _, rawErr := rawHTTPS(m.clientURL+"/v2/keys/tls/raw", p.ca.clientConfig(tt.cert), "GET", "")
				if !refusedByServer(rawErr) {
					t.Errorf("n%d: raw client error = %v, want the server's TLS alert", i+1, rawErr)
				}
				_, goErr := clientv2.NewKeysAPI(p.v2Client(t, tt.cert, m.clientURL)).Get(ctx, "/tls/go", nil)
				if !refusedByServer(goErr) {
					t.Errorf("n%d: Go v2 client error = %v, want the server's TLS alert", i+1, goErr)
				}
				waitForOutput(t, []*member{m}, "rejected connection", tt.logged)
			}
		})
	}

	t.Run("refused: TLS 1.1", func(t *testing.T) {
		cfg := p.ca.clientConfig(p.client)
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		if _, _, err := rawHTTPS(endpoints[0]+"/version", cfg, "GET", ""); !refusedByServer(err) || !strings.Contains(err.Error(), "protocol version") {
			t.Errorf("TLS 1.1 client: %v, want the server's protocol version alert", err)
		}
	})

	// A member holding a certificate the cluster does not accept is added the way an
	// operator would, and started: it cannot fetch the member list (the handshake is
	// refused), exits 1 with one line, and the cluster goes on as before.
	joinRefused := []struct {
		name   string
		cert   *testCert
		logged string
	}{
		{"peer certificate of another CA", p.foreign.server("member"), "certificate signed by unknown authority"},
		{"peer certificate with another CN", p.ca.server("intruder"), "CommonName authentication failed: certificate CN is not"},
	}
	for _, tt := range joinRefused {
		t.Run("join refused: "+tt.name, func(t *testing.T) {
			mapi := clientv2.NewMembersAPI(p.v2Client(t, p.client, endpoints...))
			peerURL := fmt.Sprintf("https://127.0.0.1:%d", freePort(t))
			added, err := mapi.Add(ctx, peerURL)
			if err != nil {
				t.Fatalf("member add: %v", err)
			}
			ic := []string{"rogue=" + peerURL}
			for i, n := range c.names {
				ic = append(ic, n+"="+c.peers[i])
			}
			rogue := newMember(t, ourBinary(t), filepath.Join(t.TempDir(), "rogue"))
			useHTTPS(rogue, nil,
				"--name", "rogue", "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
				"--initial-cluster", strings.Join(ic, ","), "--initial-cluster-state", "existing",
				"--peer-cert-file", tt.cert.certFile, "--peer-key-file", tt.cert.keyFile,
				"--peer-trusted-ca-file", p.ca.file, "--cert-file", tt.cert.certFile, "--key-file", tt.cert.keyFile)
			rogue.start()
			if code := rogue.wait(20 * time.Second); code != 1 {
				t.Errorf("rogue member exit code %d, want 1", code)
			}
			last := lastLine(rogue.out.String())
			if !strings.Contains(last, "cannot fetch cluster info from peer urls") || !strings.Contains(last, "remote error: tls: ") {
				t.Errorf("rogue member's last line = %q, want the refused fetch", last)
			}
			waitForOutput(t, c.members, "rejected connection", tt.logged)

			// The cluster is unaffected: it writes, and the rogue is still unstarted.
			kapi := clientv2.NewKeysAPI(p.v2Client(t, p.client, endpoints...))
			if _, err := kapi.Set(ctx, "/tls/after-"+tt.cert.cert.Subject.CommonName, "ok", nil); err != nil {
				t.Fatalf("write after the refused join: %v", err)
			}
			ms, err := mapi.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			started := 0
			for _, m := range ms {
				if m.Name != "" {
					started++
				} else if m.ID != added.ID {
					t.Errorf("unstarted member %+v is not the one added", m)
				}
			}
			if started != 3 || len(ms) != 4 {
				t.Errorf("members = %+v, want the three started ones and the added one", ms)
			}
			if err := mapi.Remove(ctx, added.ID); err != nil {
				t.Fatalf("removing the added member: %v", err)
			}
		})
	}
}

// waitForOutput waits until one of ms has an output line holding every part.
func waitForOutput(t *testing.T, ms []*member, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, m := range ms {
			for _, line := range strings.Split(m.out.String(), "\n") {
				all := true
				for _, p := range parts {
					all = all && strings.Contains(line, p)
				}
				if all {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("no output line holds %q", parts)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTLSProcessAutoTLS runs three members with --auto-tls and --peer-auto-tls: the peers
// accept each other's generated certificates, and a client that does not verify the
// server (curl -k) is served.
func TestTLSProcessAutoTLS(t *testing.T) {
	insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	c := newCluster(t, ourBinary(t), 3)
	for _, m := range c.members {
		useHTTPS(m, insecure, "--auto-tls", "--peer-auto-tls")
	}
	c.startAll()
	n1, n3 := c.members[0], c.members[2]
	if code, body := n1.do("PUT", "/v2/keys/auto", url.Values{"value": {"tls"}}); code != 201 {
		t.Fatalf("PUT through n1 = %d %s", code, body)
	}
	if code, body := n3.do("GET", "/v2/keys/auto?quorum=true", nil); code != 200 || !strings.Contains(body, `"value":"tls"`) {
		t.Fatalf("quorum GET through n3 = %d %s", code, body)
	}

	// The certificate served is the one generated in the data dir, for 127.0.0.1.
	served := func() *x509.Certificate {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(n1.clientURL, "https://"), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0]
	}
	first := served()
	for _, side := range []string{"client", "peer"} {
		for _, f := range []string{"cert.pem", "key.pem"} {
			if _, err := os.Stat(filepath.Join(n1.dataDir, "fixtures", side, f)); err != nil {
				t.Errorf("generated file: %v", err)
			}
		}
	}
	pool := x509.NewCertPool()
	pemData, _ := os.ReadFile(filepath.Join(n1.dataDir, "fixtures", "client", "cert.pem"))
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("fixtures/client/cert.pem holds no certificate")
	}
	if _, err := first.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Errorf("served certificate is not fixtures/client/cert.pem for 127.0.0.1: %v", err)
	}
	// Without -k the client refuses the self-signed certificate.
	if _, err := http.Get(n1.clientURL + "/version"); err == nil || !strings.Contains(err.Error(), "x509") {
		t.Errorf("verifying client: %v, want an x509 error", err)
	}
	// Plain HTTP on the https port is answered with net/http's 400.
	resp, err := http.Get(strings.Replace(n1.clientURL, "https://", "http://", 1) + "/version")
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("plain HTTP to the https port = %v, %v; want 400", resp, err)
	} else {
		resp.Body.Close()
	}

	// A restarted member keeps its certificate.
	if code := n1.stop(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	n1.startReady()
	if again := served(); !again.Equal(first) {
		t.Error("the restarted member generated a new certificate")
	}
}

// TestTLSProcessMisconfigurationExitsWithOneLine: every TLS mistake is found before the
// member starts and reported as one line with exit code 1.
func TestTLSProcessMisconfigurationExitsWithOneLine(t *testing.T) {
	bin := ourBinary(t)
	p := newTLSTestPKI(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM at all\n"), 0o600)
	badDER := writeTestPEM(t, dir, "bad.crt", "CERTIFICATE", []byte("not DER"))
	client := fmt.Sprintf("https://127.0.0.1:%d", freePort(t))
	peer := fmt.Sprintf("https://127.0.0.1:%d", freePort(t))
	httpsClient := []string{"--listen-client-urls", client, "--advertise-client-urls", client}
	httpsPeer := []string{"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "default=" + peer}
	withCert := append(append([]string{}, httpsClient...), "--cert-file", p.member.certFile, "--key-file", p.member.keyFile)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"https client URL without a certificate", httpsClient,
			"etcd: TLS key/cert (--cert-file, --key-file) must be provided for client url " + client + " with HTTPS scheme"},
		{"https peer URL without a certificate", httpsPeer,
			"etcd: TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url " + peer + " with HTTPS scheme"},
		{"certificate without its key", append(append([]string{}, httpsClient...), "--cert-file", p.member.certFile),
			"etcd: --cert-file and --key-file must be given together"},
		{"missing key file", append(append([]string{}, httpsClient...), "--cert-file", p.member.certFile, "--key-file", filepath.Join(dir, "none.key")),
			"etcd: client TLS: cannot load key pair"},
		{"key file that is not a key", append(append([]string{}, httpsClient...), "--cert-file", p.member.certFile, "--key-file", garbage),
			"failed to find any PEM data in key input"},
		{"key of another certificate", append(append([]string{}, httpsPeer...), "--peer-cert-file", p.member.certFile, "--peer-key-file", p.client.keyFile),
			"etcd: peer TLS: cannot load key pair"},
		{"CA file without a certificate", append(append([]string{}, withCert...), "--trusted-ca-file", garbage, "--client-cert-auth"),
			"etcd: client TLS: " + garbage + ": no PEM certificate found"},
		{"CA certificate that does not parse", append(append([]string{}, withCert...), "--trusted-ca-file", badDER),
			"etcd: client TLS: " + badDER + ": x509: "},
		{"peer CA that does not parse", []string{"--peer-trusted-ca-file", badDER},
			"etcd: peer TLS: " + badDER + ": x509: "},
		{"CRL that does not parse", append(append([]string{}, withCert...), "--client-crl-file", garbage),
			"etcd: client TLS: " + garbage + ": "},
		{"unknown cipher suite", []string{"--cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_NOPE"},
			`etcd: unexpected TLS cipher suite "TLS_NOPE"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data-dir", filepath.Join(t.TempDir(), "d")}, tt.args...)
			if s := failedStart(t, bin, "", args, nil); strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || !strings.Contains(s, tt.want) {
				t.Errorf("output %q, want the one line %q", s, tt.want)
			}
		})
	}
}

// TestTLSProcessCipherSuites: with --cipher-suites a TLS 1.2 client offering only other
// suites is refused; one offering a listed suite is served.
func TestTLSProcessCipherSuites(t *testing.T) {
	p := newTLSTestPKI(t)
	m := newMember(t, ourBinary(t), filepath.Join(t.TempDir(), "d"))
	useHTTPS(m, p.httpClient(p.client), append(p.serverFlags(), "--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")...)
	m.startReady()
	tests := []struct {
		suite uint16
		ok    bool
	}{
		{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, true},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, false},
		{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305, false},
	}
	for _, tt := range tests {
		cfg := p.ca.clientConfig(p.client)
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{tt.suite}
		status, _, err := rawHTTPS(m.clientURL+"/version", cfg, "GET", "")
		if tt.ok && status != "200 OK" {
			t.Errorf("%s: %q, %v; want 200", tls.CipherSuiteName(tt.suite), status, err)
		}
		if !tt.ok && err == nil {
			t.Errorf("%s: served, want a refused handshake", tls.CipherSuiteName(tt.suite))
		}
	}
}

// TestTLSProcessClientCertificatesLikeReference starts one member of ours and one of the
// reference with the same TLS flags and checks that the same clients are served and
// refused: with --client-cert-auth and a CRL, and with only a trusted CA file (which the
// reference takes as requiring client certificates too).
func TestTLSProcessClientCertificatesLikeReference(t *testing.T) {
	if !referenceInstalled() {
		t.Skip("reference etcd not installed")
	}
	p := newTLSTestPKI(t)
	tls11 := p.ca.clientConfig(p.client)
	tls11.MinVersion, tls11.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	clients := []struct {
		name string
		cfg  *tls.Config
	}{
		{"good certificate", p.ca.clientConfig(p.client)},
		{"no certificate", p.ca.clientConfig(nil)},
		{"certificate of another CA", p.ca.clientConfig(p.foreignClient)},
		{"revoked certificate", p.ca.clientConfig(p.revoked)},
		{"TLS 1.1", tls11},
		{"server not trusted", p.foreign.clientConfig(p.client)},
	}
	configs := []struct {
		name  string
		flags []string
	}{
		{"client-cert-auth and CRL", p.serverFlags()},
		{"trusted CA only", []string{"--cert-file", p.member.certFile, "--key-file", p.member.keyFile, "--trusted-ca-file", p.ca.file,
			"--peer-cert-file", p.member.certFile, "--peer-key-file", p.member.keyFile}},
	}
	for _, cf := range configs {
		t.Run(cf.name, func(t *testing.T) {
			served := map[string][]string{}
			for _, bin := range []string{ourBinary(t), "etcd"} {
				m := newMember(t, bin, filepath.Join(t.TempDir(), "d"))
				useHTTPS(m, p.httpClient(p.client), cf.flags...)
				m.startReady()
				for _, c := range clients {
					status, _, err := rawHTTPS(m.clientURL+"/v2/keys/", c.cfg, "GET", "")
					if err != nil {
						status = "refused"
					}
					served[c.name] = append(served[c.name], status)
				}
				m.kill()
			}
			for _, c := range clients {
				got := served[c.name]
				t.Logf("%s: ours %q, reference %q", c.name, got[0], got[1])
				if got[0] != got[1] {
					t.Errorf("%s: ours %q, reference %q", c.name, got[0], got[1])
				}
			}
			if got := served["good certificate"][0]; got != "200 OK" {
				t.Errorf("good certificate: %q, want 200 OK", got)
			}
		})
	}
}
