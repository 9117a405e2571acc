package httpapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testCA issues certificates for the client-certificate tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a certificate for cn (a client certificate, or a server one for 127.0.0.1).
func (ca *testCA) issue(t *testing.T, cn string, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestAuthClientCertificate: with client-certificate auth, a verified certificate's CN names
// the user of a request without an Authorization header; Basic credentials still win.
func TestAuthClientCertificate(t *testing.T) {
	ta, _ := newAuthAPI(t, func(c *Config) { c.ClientCertAuth = true })
	enableAuth(t, ta)
	// Guests may do nothing, so every success below is the certificate's user.
	runAuthSteps(t, ta, []authStep{
		{"PUT", "/v2/auth/roles/guest", `{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}`, "root:rootpw", 200,
			`{"role":"guest","permissions":{"kv":{"read":[],"write":[]}}}` + "\n", true},
	})

	ca := newTestCA(t, "test CA")
	srv := httptest.NewUnstartedServer(ta.handler)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.issue(t, "server", true)},
		ClientCAs:    ca.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := func(cn string) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: ca.pool, Certificates: []tls.Certificate{ca.issue(t, cn, false)},
		}}}
	}
	do := func(c *http.Client, method, target, body, auth string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", formContentType)
		}
		if auth != "" {
			k, v, _ := strings.Cut(basic(auth), ": ")
			req.Header.Set(k, v)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	dave, root, stranger := client("dave"), client("root"), client("nobody")
	tests := []struct {
		name         string
		c            *http.Client
		method, path string
		body, auth   string
		want         int
	}{
		{"dave reads /app", dave, "GET", "/v2/keys/app/x", "", "", 200},
		{"dave cannot write /app/x", dave, "PUT", "/v2/keys/app/x", "value=2", "", 401},
		{"dave writes /app/w", dave, "PUT", "/v2/keys/app/w", "value=2", "", 201},
		{"dave is not root", dave, "GET", "/v2/auth/users", "", "", 401},
		{"root by certificate", root, "GET", "/v2/auth/users", "", "", 200},
		{"root by certificate writes anywhere", root, "PUT", "/v2/keys/top", "value=1", "", 201},
		{"unknown CN is a guest", stranger, "GET", "/v2/keys/app/x", "", "", 401},
		{"unknown CN is not root", stranger, "GET", "/v2/auth/users", "", "", 401},
		{"basic credentials win over the certificate", root, "GET", "/v2/auth/users", "", "dave:new", 401},
		{"bad basic credentials are not saved by the certificate", root, "GET", "/v2/keys/app/x", "", "root:wrong", 401},
		{"basic root with another certificate", stranger, "GET", "/v2/auth/users", "", "root:rootpw", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := do(tt.c, tt.method, tt.path, tt.body, tt.auth); got != tt.want {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, got, body, tt.want)
			}
		})
	}
}

// TestAuthClientCertificateOff: without --client-cert-auth a certificate names nobody.
func TestAuthClientCertificateOff(t *testing.T) {
	ta, _ := newAuthAPI(t)
	enableAuth(t, ta)
	ca := newTestCA(t, "test CA")
	srv := httptest.NewUnstartedServer(ta.handler)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.issue(t, "server", true)},
		ClientCAs:    ca.pool, ClientAuth: tls.VerifyClientCertIfGiven,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: ca.pool, Certificates: []tls.Certificate{ca.issue(t, "root", false)},
	}}}
	res, err := c.Get(srv.URL + "/v2/auth/users")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("GET /v2/auth/users with a root certificate but no client-cert auth = %d, want 401", res.StatusCode)
	}
}

// TestAuthClientCertificateLeafOnly: only the client's own certificate names the user. The
// reference tries every certificate of the verified chain, so with a CA whose CN is a user
// name (here "root"), every certificate that CA signs would log in as that user [OURS].
func TestAuthClientCertificateLeafOnly(t *testing.T) {
	ta, _ := newAuthAPI(t, func(c *Config) { c.ClientCertAuth = true })
	enableAuth(t, ta)
	ca := newTestCA(t, "root")
	srv := httptest.NewUnstartedServer(ta.handler)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.issue(t, "server", true)},
		ClientCAs:    ca.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		cn   string
		want int
	}{{"nobody", 401}, {"root", 200}} {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: ca.pool, Certificates: []tls.Certificate{ca.issue(t, tt.cn, false)},
		}}}
		res, err := c.Get(srv.URL + "/v2/auth/users")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("GET /v2/auth/users with a %q certificate from a CA named root = %d, want %d", tt.cn, res.StatusCode, tt.want)
		}
	}
}
