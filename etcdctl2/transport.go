package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// tlsFiles are the --cert-file, --key-file and --ca-file options.
type tlsFiles struct {
	certFile, keyFile, caFile string
	// serverName is the name certificates must carry: the --discovery-srv domain
	// unless --insecure-discovery.
	serverName string
}

// maxDialTimeout bounds connection setup; --total-timeout lowers it.
const maxDialTimeout = 30 * time.Second

// newTransport builds the HTTP transport of every request, TLS included, as the
// reference does: proxies from the environment, keep-alives, a 10 s TLS handshake
// limit, and unix sockets for unix:// and unixs:// endpoints.
func newTransport(files tlsFiles, dialTimeout time.Duration, resolver *net.Resolver) (*http.Transport, error) {
	cfg, err := files.clientConfig()
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, Resolver: resolver}
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     cfg,
	}
	unix := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", addr)
		},
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     cfg,
	}
	t.RegisterProtocol("unix", unixTransport{unix})
	t.RegisterProtocol("unixs", unixTransport{unix})
	return t, nil
}

// unixTransport sends http(s) over the unix socket named by the URL's host.
type unixTransport struct{ *http.Transport }

func (u unixTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = strings.Replace(r.URL.Scheme, "unix", "http", 1)
	return u.Transport.RoundTrip(r)
}

// clientConfig loads the key pair and CA bundle. Errors keep the reference's texts
// (file errors as the OS reports them).
func (f tlsFiles) clientConfig() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: f.serverName}
	if f.certFile != "" || f.keyFile != "" {
		if f.certFile == "" || f.keyFile == "" {
			return nil, fmt.Errorf("KeyFile and CertFile must both be present[key: %v, cert: %v]", f.keyFile, f.certFile)
		}
		cert, err := loadKeyPair(f.certFile, f.keyFile)
		if err != nil {
			return nil, err
		}
		cfg.MinVersion = tls.VersionTLS12
		cfg.Certificates = []tls.Certificate{cert}
	}
	if f.caFile != "" {
		pool, err := loadCertPool(f.caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// loadCertPool reads every certificate of a PEM bundle.
func loadCertPool(file string) (*x509.CertPool, error) {
	rest, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return pool, nil
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		pool.AddCert(cert)
	}
}
