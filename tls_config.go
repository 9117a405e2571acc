package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// TLS flag names (SPEC §8.1): the client listener's, their --peer-* twins, and the shared
// ones.
const (
	flagCertFile           = "cert-file"
	flagKeyFile            = "key-file"
	flagTrustedCA          = "trusted-ca-file"
	flagClientCertAuth     = "client-cert-auth"
	flagClientCRL          = "client-crl-file"
	flagAutoTLS            = "auto-tls"
	flagPeerCertFile       = "peer-cert-file"
	flagPeerKeyFile        = "peer-key-file"
	flagPeerTrustedCA      = "peer-trusted-ca-file"
	flagPeerClientCertAuth = "peer-client-cert-auth"
	flagPeerCRL            = "peer-crl-file"
	flagPeerAutoTLS        = "peer-auto-tls"
	flagPeerAllowedCN      = "peer-cert-allowed-cn"
	flagCipherSuites       = "cipher-suites"
	flagSelfSignedValidity = "self-signed-cert-validity"
)

// tlsFlags defines the TLS flags; serverFlags appends them.
func tlsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagCertFile, Usage: "Path to the certificate the client listeners present (https client URLs)."},
		&cli.StringFlag{Name: flagKeyFile, Usage: "Path to the private key of --cert-file."},
		&cli.StringFlag{Name: flagTrustedCA, Usage: "Path to the CA certificates that sign client certificates."},
		&cli.BoolFlag{Name: flagClientCertAuth, Usage: "Require clients to present a certificate signed by --trusted-ca-file."},
		&cli.StringFlag{Name: flagClientCRL, Usage: "Path to a certificate revocation list (PEM or DER) checked against client certificates."},
		&cli.BoolFlag{Name: flagAutoTLS, Usage: "Serve https client URLs with a generated self-signed certificate when --cert-file is not given."},
		&cli.StringFlag{Name: flagPeerCertFile, Usage: "Path to the certificate for peer traffic (served and presented to other members)."},
		&cli.StringFlag{Name: flagPeerKeyFile, Usage: "Path to the private key of --peer-cert-file."},
		&cli.StringFlag{Name: flagPeerTrustedCA, Usage: "Path to the CA certificates that sign the members' peer certificates."},
		&cli.BoolFlag{Name: flagPeerClientCertAuth, Usage: "Require members connecting to the peer listeners to present a certificate signed by --peer-trusted-ca-file."},
		&cli.StringFlag{Name: flagPeerCRL, Usage: "Path to a certificate revocation list (PEM or DER) checked against peer certificates."},
		&cli.BoolFlag{Name: flagPeerAutoTLS, Usage: "Use a generated self-signed peer certificate when --peer-cert-file is not given."},
		&cli.StringFlag{Name: flagPeerAllowedCN, Usage: "Common name that certificates of members connecting to the peer listeners must carry."},
		&cli.StringFlag{Name: flagCipherSuites, Usage: "Comma-separated TLS 1.2 cipher suites for clients and peers (empty: Go's defaults)."},
		&cli.UintFlag{Name: flagSelfSignedValidity, Value: 1, Usage: "Validity in years of the certificates --auto-tls and --peer-auto-tls generate."},
	}
}

// tlsSide is what the flags say about one kind of listener: clients or peers.
type tlsSide struct {
	CertFile       string
	KeyFile        string
	TrustedCAFile  string
	CRLFile        string
	ClientCertAuth bool
	AutoTLS        bool
	AllowedCN      string // peers only
}

// hasCert reports whether a certificate was configured by file.
func (s tlsSide) hasCert() bool { return s.CertFile != "" }

// requiresClientCert reports whether connecting clients (or members, on the peer side)
// must present a certificate signed by the trusted CA: with --client-cert-auth, and, as in
// the reference, whenever a trusted CA file is given.
func (s tlsSide) requiresClientCert() bool { return s.ClientCertAuth || s.TrustedCAFile != "" }

// tlsSettings is the TLS part of serverConfig: the flags, and the configurations built
// from them. Configurations that need a generated certificate (--auto-tls) are built by
// setupTLS once the data dir exists.
type tlsSettings struct {
	Client, Peer       tlsSide
	CipherSuites       []uint16
	SelfSignedValidity int // years

	ClientServer *tls.Config // https client and metrics listeners; nil if there is none
	PeerServer   *tls.Config // https peer listeners; nil if there is none
	PeerClient   *tls.Config // dialing https peers (also when our own peer URLs are http)
}

// parseTLSConfig reads the TLS flags into cfg.TLS and loads every file they name, so a
// missing key, a CA that does not parse or an https URL without a certificate stops the
// server before it starts. It runs after the URL flags are parsed.
func parseTLSConfig(c *cli.Context, cfg *serverConfig) error {
	s := &cfg.TLS
	s.Client = tlsSide{
		CertFile: c.String(flagCertFile), KeyFile: c.String(flagKeyFile),
		TrustedCAFile: c.String(flagTrustedCA), CRLFile: c.String(flagClientCRL),
		ClientCertAuth: c.Bool(flagClientCertAuth), AutoTLS: c.Bool(flagAutoTLS),
	}
	s.Peer = tlsSide{
		CertFile: c.String(flagPeerCertFile), KeyFile: c.String(flagPeerKeyFile),
		TrustedCAFile: c.String(flagPeerTrustedCA), CRLFile: c.String(flagPeerCRL),
		ClientCertAuth: c.Bool(flagPeerClientCertAuth), AutoTLS: c.Bool(flagPeerAutoTLS),
		AllowedCN: c.String(flagPeerAllowedCN),
	}
	s.SelfSignedValidity = int(c.Uint(flagSelfSignedValidity))
	if s.SelfSignedValidity < 1 {
		return fmt.Errorf("%w: --%s must be at least 1 (years)", errConfig, flagSelfSignedValidity)
	}
	var err error
	if s.CipherSuites, err = parseCipherSuites(c.String(flagCipherSuites)); err != nil {
		return err
	}
	if err := checkKeyPairFlags(s.Client, flagCertFile, flagKeyFile); err != nil {
		return err
	}
	if err := checkKeyPairFlags(s.Peer, flagPeerCertFile, flagPeerKeyFile); err != nil {
		return err
	}

	// An https URL needs a certificate. The client message is the reference's.
	for _, u := range append(append([]*url.URL(nil), cfg.ListenClientURLs...), cfg.ListenMetricsURLs...) {
		if u.Scheme == "https" && !s.Client.hasCert() && !s.Client.AutoTLS {
			return fmt.Errorf("%w: TLS key/cert (--cert-file, --key-file) must be provided for client url %s with HTTPS scheme", errConfig, u)
		}
	}
	for _, u := range cfg.ListenPeerURLs {
		if u.Scheme == "https" && !s.Peer.hasCert() && !s.Peer.AutoTLS {
			return fmt.Errorf("%w: TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url %s with HTTPS scheme", errConfig, u)
		}
	}

	// Build from the files now, which also checks every CA and CRL file given. A side
	// whose certificate --auto-tls generates is rebuilt by setupTLS; a side without a
	// certificate has no https listener (checked above) and so no server configuration.
	// The peer client is always built: peers may use https when we do not.
	if s.ClientServer, _, err = buildTLS(s.Client, s.CipherSuites, false, "client"); err != nil {
		return fmt.Errorf("%w: %v", errConfig, err)
	}
	if s.PeerServer, s.PeerClient, err = buildTLS(s.Peer, s.CipherSuites, false, "peer"); err != nil {
		return fmt.Errorf("%w: %v", errConfig, err)
	}
	if !s.Client.hasCert() {
		s.ClientServer = nil
	}
	if !s.Peer.hasCert() {
		s.PeerServer = nil
	}
	return nil
}

// checkKeyPairFlags refuses a certificate without its key and the reverse.
func checkKeyPairFlags(s tlsSide, certFlag, keyFlag string) error {
	if (s.CertFile == "") != (s.KeyFile == "") {
		return fmt.Errorf("%w: --%s and --%s must be given together", errConfig, certFlag, keyFlag)
	}
	return nil
}

// parseCipherSuites maps the IANA names Go uses (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, …)
// to their IDs. TLS 1.3 suites are accepted as the reference does, though Go always
// negotiates its own TLS 1.3 suites.
func parseCipherSuites(list string) ([]uint16, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	known := map[string]uint16{}
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		known[cs.Name] = cs.ID
	}
	var ids []uint16
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		id, ok := known[name]
		if !ok {
			return nil, fmt.Errorf("%w: unexpected TLS cipher suite %q", errConfig, name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// buildTLS makes the server configuration for one side's listeners and the client
// configuration for dialing the same kind of listener (used for peers). selfSigned marks
// an --auto-tls certificate: other members' generated certificates cannot be verified,
// so the client side skips verification, as the reference does.
func buildTLS(s tlsSide, ciphers []uint16, selfSigned bool, what string) (server, client *tls.Config, err error) {
	var pair *keyPairFiles
	if s.hasCert() {
		if pair, err = loadKeyPairFiles(s.CertFile, s.KeyFile); err != nil {
			return nil, nil, fmt.Errorf("%s TLS: %w", what, err)
		}
	}
	var pool *x509.CertPool
	if s.TrustedCAFile != "" {
		if pool, err = loadCertPool(s.TrustedCAFile); err != nil {
			return nil, nil, fmt.Errorf("%s TLS: %w", what, err)
		}
	}
	var verifiers []func([][]byte, [][]*x509.Certificate) error
	if s.CRLFile != "" {
		crl, err := newCRLChecker(s.CRLFile)
		if err != nil {
			return nil, nil, fmt.Errorf("%s TLS: %w", what, err)
		}
		verifiers = append(verifiers, crl.verify)
	}
	if s.AllowedCN != "" {
		verifiers = append(verifiers, allowedCN(s.AllowedCN))
	}

	server = &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: ciphers, ClientCAs: pool}
	if pair != nil {
		server.GetCertificate = pair.getCertificate
	}
	if s.requiresClientCert() {
		server.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if len(verifiers) > 0 {
		server.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
			for _, v := range verifiers {
				if err := v(raw, chains); err != nil {
					return err
				}
			}
			return nil
		}
	}

	client = &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: ciphers, RootCAs: pool, InsecureSkipVerify: selfSigned}
	if pair != nil {
		client.GetClientCertificate = pair.getClientCertificate
	}
	return server, client, nil
}

// errNoCertificate is a CA file without a single PEM certificate.
var errNoCertificate = errors.New("no PEM certificate found")

// loadCertPool reads a PEM bundle of CA certificates; every block must parse.
func loadCertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: %w", path, errNoCertificate)
	}
	return pool, nil
}

// allowedCN returns a check that the verified client certificate carries the common name
// cn (--peer-cert-allowed-cn).
func allowedCN(cn string) func([][]byte, [][]*x509.Certificate) error {
	return func(_ [][]byte, chains [][]*x509.Certificate) error {
		for _, chain := range chains {
			if len(chain) > 0 && chain[0].Subject.CommonName == cn {
				return nil
			}
		}
		return fmt.Errorf("CommonName authentication failed: certificate CN is not %q", cn)
	}
}
