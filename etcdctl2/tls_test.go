package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client certificate,
// written as PEM files, plus a second CA that signed neither.
type testPKI struct {
	caFile, otherCAFile   string
	serverCert, serverKey string
	clientCert, clientKey string
	clientConfig          *tls.Config
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, caCert, caDER := newCA(t, "etcdctl2 test CA")
	_, _, otherDER := newCA(t, "unrelated CA")
	p := &testPKI{
		caFile:      writePEM(t, dir, "ca.crt", "CERTIFICATE", caDER),
		otherCAFile: writePEM(t, dir, "other.crt", "CERTIFICATE", otherDER),
	}
	issue := func(name string, usage x509.ExtKeyUsage, ips []net.IP) (string, string, tls.Certificate) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certFile := writePEM(t, dir, name+".crt", "CERTIFICATE", der)
		keyFile := writePEM(t, dir, name+".key", "EC PRIVATE KEY", keyDER)
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		return certFile, keyFile, pair
	}
	p.serverCert, p.serverKey, _ = issue("server", x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	var pair tls.Certificate
	p.clientCert, p.clientKey, pair = issue("client", x509.ExtKeyUsageClientAuth, nil)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	p.clientConfig = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}
	return p
}

func newCA(t *testing.T, name string) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert, der
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDifferentialTLS compares the TLS options against a member serving clients over
// TLS with client certificate authentication.
func TestDifferentialTLS(t *testing.T) {
	for _, kind := range serverKinds() {
		t.Run(kind.name, func(t *testing.T) {
			bin := kind.binary(t)
			pki := newTestPKI(t)
			c := startClusterWith(t, bin, 1, kind.name == "ours", pki.clientConfig,
				"--cert-file", pki.serverCert, "--key-file", pki.serverKey,
				"--trusted-ca-file", pki.caFile, "--client-cert-auth")
			vars := clusterVars(t, c)
			vars["ca"], vars["other"] = pki.caFile, pki.otherCAFile
			vars["cert"], vars["key"] = pki.clientCert, pki.clientKey
			tlsArgs := func(args ...string) step {
				return a(append([]string{"--ca-file", "{ca}", "--cert-file", "{cert}", "--key-file", "{key}"}, args...)...)
			}
			script := []step{
				tlsArgs("set", "/tls/a", "1"),
				tlsArgs("-o", "extended", "get", "/tls/a"),
				tlsArgs("member", "list"),
				tlsArgs("cluster-health"),
				tlsArgs("--debug", "ls", "/tls"),
				a("get", "/tls/a").withEnv("ETCDCTL_CA_FILE={ca}", "ETCDCTL_CERT_FILE={cert}", "ETCDCTL_KEY_FILE={key}"),
				a("--ca-file", "{other}", "--cert-file", "{cert}", "--key-file", "{key}", "get", "/tls/a"),
				a("--cert-file", "{cert}", "--key-file", "{key}", "get", "/tls/a").withEnv("ETCDCTL_CA_FILE={other}"),
				a("--ca-file", "{ca}", "get", "/tls/a"),
				a("--ca-file", "{ca}", "--cert-file", "{cert}", "get", "/tls/a"),
				a("--ca-file", "{ca}", "--cert-file", "{key}", "--key-file", "{cert}", "get", "/tls/a"),
				a("--ca-file", "{cert}", "--cert-file", "{cert}", "--key-file", "{key}", "get", "/tls/a"),
				tlsArgs("--endpoints", "{plain}", "get", "/tls/a").bare(),
				tlsArgs("rm", "-r", "/tls"),
			}
			vars["plain"] = strings.Replace(vars["ep"], "https://", "http://", 1)
			refRes, refMask, _ := runScript(t, refCLI, true, c, vars, script, nil)
			ourRes, ourMask, _ := runScript(t, ourCLI, false, c, vars, script, nil)
			for i, st := range script {
				want := refMask.normalize(st, refRes[i], true)
				got := ourMask.normalize(st, ourRes[i], false)
				if got != want {
					t.Errorf("step %d: %s\n%s", i, st, describeDiff(got, want))
				}
			}
		})
	}
}
