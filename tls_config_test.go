package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestTLSCipherSuites(t *testing.T) {
	tests := []struct {
		list    string
		want    []uint16
		wantErr string
	}{
		{"", nil, ""},
		{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, ""},
		{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, ""},
		{"TLS_RSA_WITH_RC4_128_SHA", []uint16{tls.TLS_RSA_WITH_RC4_128_SHA}, ""}, // insecure, still accepted (reference)
		{"TLS_AES_128_GCM_SHA256", []uint16{tls.TLS_AES_128_GCM_SHA256}, ""},     // TLS 1.3 name (reference)
		{"FOO", nil, `unexpected TLS cipher suite "FOO"`},
		{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,", nil, `unexpected TLS cipher suite ""`},
	}
	for _, tt := range tests {
		got, err := parseCipherSuites(tt.list)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, errConfig) {
				t.Errorf("parseCipherSuites(%q) error = %v, want %q", tt.list, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !equalIDs(got, tt.want) {
			t.Errorf("parseCipherSuites(%q) = %v, %v; want %v", tt.list, got, err, tt.want)
		}
	}
}

func equalIDs(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// handshake runs a TLS handshake between server and client configurations over a pipe
// and returns the server's error (the side that judges client certificates) and the
// client's.
func handshake(t *testing.T, server, client *tls.Config) (serverErr, clientErr error) {
	t.Helper()
	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	deadline := time.Now().Add(10 * time.Second)
	sc.SetDeadline(deadline)
	cc.SetDeadline(deadline)
	errc := make(chan error, 1)
	go func() {
		c := tls.Client(cc, client)
		err := c.Handshake()
		if err == nil {
			// With TLS 1.3 the server judges the client certificate after the client
			// finished: a refusal shows on the first read.
			_, err = c.Read(make([]byte, 1))
		}
		cc.Close()
		errc <- err
	}()
	s := tls.Server(sc, server)
	serverErr = s.Handshake()
	if serverErr == nil {
		s.Write([]byte("x"))
	}
	sc.Close()
	return serverErr, <-errc
}

func TestTLSServerConfigJudgesClientCertificates(t *testing.T) {
	ca, other := newTestCA(t, "ca"), newTestCA(t, "other")
	srv := ca.server("server")
	good, revoked, peer := ca.client("good"), ca.client("revoked"), ca.server("member")
	foreign := other.client("foreign")
	crl := ca.crl("ca.crl", revoked)

	clientSide := tlsSide{CertFile: srv.certFile, KeyFile: srv.keyFile, TrustedCAFile: ca.file, CRLFile: crl, ClientCertAuth: true}
	peerSide := clientSide
	peerSide.AllowedCN = "member"
	tests := []struct {
		name    string
		side    tlsSide
		cert    *testCert
		wantErr string // in the server's handshake error; "" = accepted
	}{
		{"good client", clientSide, good, ""},
		{"no certificate", clientSide, nil, "didn't provide a certificate"},
		{"revoked", clientSide, revoked, "certificate revoked"},
		{"other CA", clientSide, foreign, "unknown authority"},
		{"peer with allowed CN", peerSide, peer, ""},
		{"peer with another CN", peerSide, good, "CommonName authentication failed"},
		{"no client-cert-auth", tlsSide{CertFile: srv.certFile, KeyFile: srv.keyFile}, nil, ""},
		// A trusted CA alone requires certificates too, as in the reference.
		{"trusted CA alone, no certificate", tlsSide{CertFile: srv.certFile, KeyFile: srv.keyFile, TrustedCAFile: ca.file}, nil, "didn't provide a certificate"},
		{"trusted CA alone, good client", tlsSide{CertFile: srv.certFile, KeyFile: srv.keyFile, TrustedCAFile: ca.file}, good, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, _, err := buildTLS(tt.side, nil, false, "test")
			if err != nil {
				t.Fatal(err)
			}
			serr, cerr := handshake(t, server, ca.clientConfig(tt.cert))
			if tt.wantErr == "" {
				if serr != nil || cerr != nil {
					t.Fatalf("handshake failed: server %v, client %v", serr, cerr)
				}
				return
			}
			if serr == nil || !strings.Contains(serr.Error(), tt.wantErr) {
				t.Errorf("server error = %v, want %q", serr, tt.wantErr)
			}
			if cerr == nil {
				t.Errorf("client saw no error")
			}
		})
	}
}

func TestTLSMinimumVersionIs12(t *testing.T) {
	ca := newTestCA(t, "ca")
	srv := ca.server("server")
	server, client, err := buildTLS(tlsSide{CertFile: srv.certFile, KeyFile: srv.keyFile, TrustedCAFile: ca.file}, nil, false, "test")
	if err != nil {
		t.Fatal(err)
	}
	if server.MinVersion != tls.VersionTLS12 || client.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x/%x, want TLS 1.2", server.MinVersion, client.MinVersion)
	}
	old := ca.clientConfig(nil)
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if serr, _ := handshake(t, server, old); serr == nil {
		t.Error("TLS 1.1 client accepted")
	}
}

func TestTLSPeerClientPresentsItsCertificate(t *testing.T) {
	ca := newTestCA(t, "ca")
	m1, m2 := ca.server("m1"), ca.server("m2")
	side := func(c *testCert) tlsSide {
		return tlsSide{CertFile: c.certFile, KeyFile: c.keyFile, TrustedCAFile: ca.file, ClientCertAuth: true, AllowedCN: "m1"}
	}
	server, _, err := buildTLS(side(m2), nil, false, "peer")
	if err != nil {
		t.Fatal(err)
	}
	_, client, err := buildTLS(side(m1), nil, false, "peer")
	if err != nil {
		t.Fatal(err)
	}
	client.ServerName = "127.0.0.1"
	if serr, cerr := handshake(t, server, client); serr != nil || cerr != nil {
		t.Fatalf("peer handshake: server %v, client %v", serr, cerr)
	}
}

func TestTLSCRLReloadsWhenTheFileChanges(t *testing.T) {
	ca := newTestCA(t, "ca")
	srv, a, b := ca.server("server"), ca.client("a"), ca.client("b")
	crl := ca.crl("list.crl", a)
	server, _, err := buildTLS(tlsSide{CertFile: srv.certFile, KeyFile: srv.keyFile, TrustedCAFile: ca.file, CRLFile: crl, ClientCertAuth: true}, nil, false, "test")
	if err != nil {
		t.Fatal(err)
	}
	accepted := func(c *testCert) bool {
		serr, _ := handshake(t, server, ca.clientConfig(c))
		return serr == nil
	}
	if accepted(a) || !accepted(b) {
		t.Fatalf("before: a accepted=%v b accepted=%v, want false/true", accepted(a), accepted(b))
	}
	replaceFile(t, crl, ca.crl("next.crl", a, b))
	if accepted(b) {
		t.Error("b accepted after it was added to the CRL file")
	}
	os.WriteFile(crl, []byte("not a CRL"), 0o600)
	if accepted(srv) {
		t.Error("a certificate was accepted while the CRL file does not parse")
	}
}

func TestTLSCRLFileFormats(t *testing.T) {
	ca, other := newTestCA(t, "ca"), newTestCA(t, "other")
	a, b := ca.client("a"), ca.client("b")
	stranger := other.client("stranger")
	// A certificate of another CA with a's serial number: serials are per issuer.
	stranger.cert.SerialNumber = a.cert.SerialNumber
	read := func(path string) []byte {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	v2PEM := read(ca.crl("v2.crl", a))
	v2DER, _ := pem.Decode(v2PEM)
	v1DER := ca.crlV1DER(a, b)
	v1PEM := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: v1DER})
	tests := []struct {
		name    string
		data    []byte
		revoked []*testCert
		kept    []*testCert
	}{
		{"version 2 PEM", v2PEM, []*testCert{a}, []*testCert{b, stranger}},
		{"version 2 DER", v2DER.Bytes, []*testCert{a}, []*testCert{b}},
		{"version 1 PEM (openssl ca -gencrl)", v1PEM, []*testCert{a, b}, []*testCert{stranger}},
		{"version 1 DER", v1DER, []*testCert{a, b}, nil},
		{"version 1 without entries", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: ca.crlV1DER()}), nil, []*testCert{a, b}},
		{"two CRLs in one file", append(append([]byte{}, v2PEM...), read(other.crl("o.crl", other.client("c")))...), []*testCert{a}, []*testCert{b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "list.crl")
			os.WriteFile(path, tt.data, 0o600)
			revoked, err := readCRLFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.revoked {
				if !revoked[revocationKey(c.cert.RawIssuer, c.cert.SerialNumber.Bytes())] {
					t.Errorf("%s not revoked", c.cert.Subject.CommonName)
				}
			}
			for _, c := range tt.kept {
				if revoked[revocationKey(c.cert.RawIssuer, c.cert.SerialNumber.Bytes())] {
					t.Errorf("%s revoked", c.cert.Subject.CommonName)
				}
			}
		})
	}
	// A version 1 structure cut short is refused, not read as an empty list.
	path := filepath.Join(t.TempDir(), "short.crl")
	os.WriteFile(path, v1DER[:len(v1DER)/2], 0o600)
	if _, err := readCRLFile(path); err == nil {
		t.Error("a truncated CRL was accepted")
	}
}

func TestTLSKeyPairReloadsWhenTheFilesChange(t *testing.T) {
	ca := newTestCA(t, "ca")
	first, second := ca.server("first"), ca.server("second")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	replaceFile(t, certFile, first.certFile)
	replaceFile(t, keyFile, first.keyFile)
	server, _, err := buildTLS(tlsSide{CertFile: certFile, KeyFile: keyFile}, nil, false, "test")
	if err != nil {
		t.Fatal(err)
	}
	served := func() string {
		client := ca.clientConfig(nil)
		var cn string
		client.VerifyConnection = func(cs tls.ConnectionState) error {
			cn = cs.PeerCertificates[0].Subject.CommonName
			return nil
		}
		if serr, cerr := handshake(t, server, client); serr != nil || cerr != nil {
			t.Fatalf("handshake: %v, %v", serr, cerr)
		}
		return cn
	}
	if cn := served(); cn != "first" {
		t.Fatalf("served %q, want first", cn)
	}
	replaceFile(t, keyFile, second.keyFile)
	replaceFile(t, certFile, second.certFile)
	if cn := served(); cn != "second" {
		t.Errorf("after rotation served %q, want second", cn)
	}
}

// replaceFile copies src over dst and moves dst's modification time forward, so a
// reload is noticed even on file systems with coarse timestamps.
func replaceFile(t *testing.T, dst, src string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var mtime time.Time
	if fi, err := os.Stat(dst); err == nil {
		mtime = fi.ModTime().Add(time.Second)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		os.Chtimes(dst, mtime, mtime)
	}
}

func TestTLSBuildRefusesBadFiles(t *testing.T) {
	ca := newTestCA(t, "ca")
	srv := ca.server("server")
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("hello\n"), 0o600)
	badPEM := writeTestPEM(t, dir, "bad.crt", "CERTIFICATE", []byte("not DER"))
	tests := []struct {
		name string
		side tlsSide
		want string
	}{
		{"missing key", tlsSide{CertFile: srv.certFile, KeyFile: filepath.Join(dir, "none.key")}, "no such file or directory"},
		{"key is not a key", tlsSide{CertFile: srv.certFile, KeyFile: garbage}, "failed to find any PEM data in key input"},
		{"key of another cert", tlsSide{CertFile: srv.certFile, KeyFile: ca.client("x").keyFile}, "private key does not match public key"},
		{"CA without PEM", tlsSide{TrustedCAFile: garbage}, "no PEM certificate found"},
		{"CA that does not parse", tlsSide{TrustedCAFile: badPEM}, "x509: "},
		{"missing CA", tlsSide{TrustedCAFile: filepath.Join(dir, "none.crt")}, "no such file or directory"},
		{"CRL garbage", tlsSide{CRLFile: badPEM}, "no X509 CRL block found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := buildTLS(tt.side, nil, false, "client")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "client TLS: ") {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestTLSSelfSignedCertificate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fixtures", "client")
	now := time.Now().Truncate(time.Second)
	certFile, keyFile, err := selfSignedCert(dir, []string{"127.0.0.1", "localhost"}, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	if certFile != filepath.Join(dir, "cert.pem") || keyFile != filepath.Join(dir, "key.pem") {
		t.Errorf("files %s, %s", certFile, keyFile)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if got := cert.Subject.Organization; len(got) != 1 || got[0] != "etcd" {
		t.Errorf("organization = %v", got)
	}
	if len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) ||
		len(cert.DNSNames) != 1 || cert.DNSNames[0] != "localhost" {
		t.Errorf("SANs = %v %v", cert.IPAddresses, cert.DNSNames)
	}
	if !cert.NotAfter.Equal(now.AddDate(2, 0, 0)) {
		t.Errorf("NotAfter = %v, want %v", cert.NotAfter, now.AddDate(2, 0, 0))
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}

	before, _ := os.ReadFile(certFile)
	if _, _, err := selfSignedCert(dir, []string{"127.0.0.1"}, 1, now); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(certFile)
	if !bytes.Equal(before, after) {
		t.Error("existing certificate was regenerated")
	}
}

func TestTLSURLHosts(t *testing.T) {
	parse := func(ss ...string) []*url.URL {
		var out []*url.URL
		for _, s := range ss {
			u, _ := url.Parse(s)
			out = append(out, u)
		}
		return out
	}
	got := urlHosts(parse("https://127.0.0.1:1", "https://localhost:2"), parse("https://127.0.0.1:3", "http://[::1]:4"))
	want := []string{"127.0.0.1", "localhost", "::1"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("urlHosts = %v, want %v", got, want)
	}
}

func TestTLSHTTPErrorLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := httpErrorLog(zerolog.New(&buf))
	l.Print("http: TLS handshake error from 127.0.0.1:5000: tls: client didn't provide a certificate")
	l.Print("http: superfluous response.WriteHeader call")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], `"level":"info"`) || !strings.Contains(lines[0], `"remote":"127.0.0.1:5000"`) ||
		!strings.Contains(lines[0], `"error":"tls: client didn't provide a certificate"`) || !strings.Contains(lines[0], `"rejected connection"`) ||
		!strings.Contains(lines[1], `"level":"warn"`) || !strings.Contains(lines[1], "superfluous") {
		t.Errorf("log lines:\n%s", buf.String())
	}
}
