package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"
)

// memCA is an in-memory certificate authority issuing member certificates for
// 127.0.0.1, usable on both sides of a connection.
type memCA struct {
	t    *testing.T
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pool *x509.CertPool
}

func newMemCA(t *testing.T) *memCA {
	t.Helper()
	ca := &memCA{t: t, pool: x509.NewCertPool()}
	ca.key, ca.cert = ca.sign(&x509.Certificate{
		Subject: pkix.Name{CommonName: "transport test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}, nil, nil)
	ca.pool.AddCert(ca.cert)
	return ca
}

// sign creates tmpl with a new key, signed by parent (self-signed when nil).
func (ca *memCA) sign(tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ca.t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		ca.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		ca.t.Fatal(err)
	}
	return key, cert
}

func (ca *memCA) member(cn string) tls.Certificate {
	key, cert := ca.sign(&x509.Certificate{
		Subject: pkix.Name{CommonName: cn}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}, ca.cert, ca.key)
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// newTLSNode is newNode with a peer listener that requires a client certificate signed
// by ca, and a transport that dials with cert and trusts ca.
func newTLSNode(t *testing.T, id, cluster uint64, ca *memCA, cert tls.Certificate) *node {
	t.Helper()
	n := &node{id: id, raft: newFakeRaft()}
	n.tr = New(Config{
		ID: id, ClusterID: cluster, Raft: n.raft, Logger: zerolog.New(zerolog.NewTestWriter(t)),
		TLS: &tls.Config{
			RootCAs: ca.pool, MinVersion: tls.VersionTLS12,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
		},
	})
	n.srv = httptest.NewUnstartedServer(n.tr.Handler())
	n.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert}, ClientCAs: ca.pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	}
	n.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected here
	n.srv.StartTLS()
	n.url = n.srv.URL
	t.Cleanup(func() {
		n.tr.Stop()
		n.srv.Close()
	})
	return n
}

func TestTLSStreamsBetweenMembers(t *testing.T) {
	ca := newMemCA(t)
	a, b := newTLSNode(t, 1, 7, ca, ca.member("a")), newTLSNode(t, 2, 7, ca, ca.member("b"))
	a.tr.AddPeer(2, []string{b.url})
	b.tr.AddPeer(1, []string{a.url})
	waitFor(t, "streams up over TLS", func() bool { return a.tr.Active(2) && b.tr.Active(1) })
	const n = 200
	for i := range uint64(n) {
		a.tr.Send([]raftpb.Message{app(1, 2, i)})
		b.tr.Send([]raftpb.Message{app(2, 1, i)})
	}
	waitFor(t, "messages both ways", func() bool { return len(b.raft.received()) == n && len(a.raft.received()) == n })
	for i, m := range b.raft.received() {
		if m.Index != uint64(i) || m.From != 1 {
			t.Fatalf("message %d = index %d from %d", i, m.Index, m.From)
		}
	}
}

func TestTLSPipelineAndSnapshot(t *testing.T) {
	ca := newMemCA(t)
	a, b := newTLSNode(t, 1, 7, ca, ca.member("a")), newTLSNode(t, 2, 7, ca, ca.member("b"))
	// Only a knows b: no stream from b, so a posts (pipeline) and sends the snapshot.
	a.tr.AddPeer(2, []string{b.url})
	a.tr.Send([]raftpb.Message{app(1, 2, 5)})
	snap := raftpb.Message{Type: raftpb.MsgSnap, From: 1, To: 2, Snapshot: &raftpb.Snapshot{
		Data: make([]byte, 1<<16), Metadata: raftpb.SnapshotMetadata{Index: 9, Term: 1}}}
	a.tr.Send([]raftpb.Message{snap})
	waitFor(t, "pipeline message and snapshot over TLS", func() bool { return len(b.raft.received()) == 2 })
	for _, m := range b.raft.received() {
		if m.Type == raftpb.MsgSnap && len(m.Snapshot.Data) != 1<<16 {
			t.Errorf("snapshot data %d bytes", len(m.Snapshot.Data))
		}
	}
}

func TestTLSPeerFromAnotherCAIsRefused(t *testing.T) {
	ca, other := newMemCA(t), newMemCA(t)
	a := newTLSNode(t, 1, 7, ca, ca.member("a"))
	// c trusts a's CA, but its own certificate comes from another one.
	c := newTLSNode(t, 3, 7, ca, other.member("c"))
	c.tr.AddPeer(1, []string{a.url})
	for i := range uint64(20) {
		c.tr.Send([]raftpb.Message{app(3, 1, i)})
	}
	waitFor(t, "c reports a unreachable", func() bool { return c.raft.unreachableCount(1) > 0 })
	if got := a.raft.received(); len(got) != 0 {
		t.Errorf("a accepted %d messages from a peer with a foreign certificate", len(got))
	}
	if c.tr.Active(1) {
		t.Error("c has an active stream with a")
	}
}

func TestTLSPeerThatDoesNotTrustTheServerIsRefused(t *testing.T) {
	ca, other := newMemCA(t), newMemCA(t)
	a := newTLSNode(t, 1, 7, ca, ca.member("a"))
	// d presents a valid certificate but trusts another CA, so it rejects a's.
	d := newTLSNode(t, 4, 7, other, ca.member("d"))
	d.tr.AddPeer(1, []string{a.url})
	d.tr.Send([]raftpb.Message{app(4, 1, 0)})
	waitFor(t, "d reports a unreachable", func() bool { return d.raft.unreachableCount(1) > 0 })
	if got := a.raft.received(); len(got) != 0 {
		t.Errorf("a received %d messages", len(got))
	}
}
