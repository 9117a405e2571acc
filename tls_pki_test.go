package main

// A small certificate authority for the TLS tests: CA, server/peer/client certificates
// and CRLs, generated with crypto/x509 and written as PEM files.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	stdasn1 "encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// testCA is a certificate authority whose files live in dir.
type testCA struct {
	t    testing.TB
	dir  string
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	file string // the CA certificate (PEM)
}

// testCert is an issued certificate and its files.
type testCert struct {
	certFile, keyFile string
	cert              *x509.Certificate
	pair              tls.Certificate
}

// testLoopback is the address every test server certificate is issued for.
var testLoopback = []net.IP{net.ParseIP("127.0.0.1")}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	dir := t.TempDir()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{t: t, dir: dir, key: key, cert: cert, file: writeTestPEM(t, dir, "ca.crt", "CERTIFICATE", der)}
}

// issue signs a certificate with common name cn for the given IPs (empty for a client
// certificate) and usages; it is written as <cn>.crt and <cn>.key.
func (ca *testCA) issue(cn string, ips []net.IP, usages ...x509.ExtKeyUsage) *testCert {
	t := ca.t
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(t),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  usages,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCert{
		certFile: writeTestPEM(t, ca.dir, cn+".crt", "CERTIFICATE", der),
		keyFile:  writeTestPEM(t, ca.dir, cn+".key", "EC PRIVATE KEY", keyDER),
	}
	if c.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	if c.pair, err = tls.LoadX509KeyPair(c.certFile, c.keyFile); err != nil {
		t.Fatal(err)
	}
	return c
}

// server issues a certificate usable by a member for both sides of TLS on 127.0.0.1.
func (ca *testCA) server(cn string) *testCert {
	return ca.issue(cn, testLoopback, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
}

// client issues a client-only certificate.
func (ca *testCA) client(cn string) *testCert {
	return ca.issue(cn, nil, x509.ExtKeyUsageClientAuth)
}

// crl writes a PEM CRL named name revoking certs and returns its path.
func (ca *testCA) crl(name string, revoked ...*testCert) string {
	t := ca.t
	t.Helper()
	tmpl := &x509.RevocationList{Number: randomSerial(t), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour)}
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.cert.SerialNumber, RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return writeTestPEM(t, ca.dir, name, "X509 CRL", der)
}

// crlV1DER builds a version 1 CRL (no version field, no extensions) revoking certs, as
// `openssl ca -gencrl` writes by default; crypto/x509 only creates version 2.
func (ca *testCA) crlV1DER(revoked ...*testCert) []byte {
	t := ca.t
	t.Helper()
	sigAlg := func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidECDSAWithSHA256) })
	}
	now := time.Now().UTC()
	var tbs cryptobyte.Builder
	tbs.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		sigAlg(b)
		b.AddBytes(ca.cert.RawSubject)
		b.AddASN1UTCTime(now.Add(-time.Minute))
		b.AddASN1UTCTime(now.Add(time.Hour))
		if len(revoked) > 0 {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, c := range revoked {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1BigInt(c.cert.SerialNumber)
						b.AddASN1UTCTime(now)
					})
				}
			})
		}
	})
	tbsDER := tbs.BytesOrPanic()
	digest := sha256.Sum256(tbsDER)
	sig, err := ecdsa.SignASN1(rand.Reader, ca.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	var crl cryptobyte.Builder
	crl.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbsDER)
		sigAlg(b)
		b.AddASN1BitString(sig)
	})
	return crl.BytesOrPanic()
}

var oidECDSAWithSHA256 = stdasn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}

// pool is a pool holding only this CA.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// clientConfig trusts ca and presents c (nil: no certificate) whatever CAs the server
// names as acceptable (Go's crypto/tls would otherwise send nothing rather than a
// certificate of another CA).
func (ca *testCA) clientConfig(c *testCert) *tls.Config {
	cfg := &tls.Config{RootCAs: ca.pool(), ServerName: "127.0.0.1"}
	if c != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c.pair, nil }
	}
	return cfg
}

func newTestKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func randomSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writeTestPEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
