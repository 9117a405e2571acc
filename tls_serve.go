package main

import (
	"crypto/tls"
	"log"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// setupTLS finishes the TLS configuration once the listeners are open: it generates the
// --auto-tls / --peer-auto-tls certificates under <data-dir>/fixtures/{client,peer}, logs
// what each side uses, and puts TLS on the listeners of https URLs. The listeners are
// replaced in place (same order and length, the same sockets underneath), so the
// caller's deferred Close still closes them. TLS ends inside net/http, which gives
// handlers the client's certificate in r.TLS.
func setupTLS(cfg *serverConfig, lg zerolog.Logger, peerLns, clientLns, metricsLns []net.Listener) error {
	s := &cfg.TLS
	if s.Client.AutoTLS && !s.Client.hasCert() {
		side, err := autoTLSSide(cfg, s.Client, "client", urlHosts(cfg.ListenClientURLs, cfg.ListenMetricsURLs))
		if err != nil {
			return err
		}
		if s.ClientServer, _, err = buildTLS(side, s.CipherSuites, true, "client"); err != nil {
			return err
		}
		s.Client = side
	} else if s.Client.AutoTLS {
		lg.Warn().Msg("ignoring --auto-tls: --cert-file and --key-file are given")
	}
	if s.Peer.AutoTLS && !s.Peer.hasCert() {
		side, err := autoTLSSide(cfg, s.Peer, "peer", urlHosts(cfg.ListenPeerURLs))
		if err != nil {
			return err
		}
		if s.PeerServer, s.PeerClient, err = buildTLS(side, s.CipherSuites, true, "peer"); err != nil {
			return err
		}
		s.Peer = side
	} else if s.Peer.AutoTLS {
		lg.Warn().Msg("ignoring --peer-auto-tls: --peer-cert-file and --peer-key-file are given")
	}
	if s.Peer.AllowedCN != "" && !s.Peer.requiresClientCert() {
		lg.Warn().Msg("--peer-cert-allowed-cn has no effect without --peer-client-cert-auth or --peer-trusted-ca-file")
	}
	if s.ClientServer != nil {
		logTLSSide(lg, "client", s.Client)
	}
	if s.PeerServer != nil {
		logTLSSide(lg, "peer", s.Peer)
	}
	wrapTLSListeners(peerLns, cfg.ListenPeerURLs, s.PeerServer)
	wrapTLSListeners(clientLns, cfg.ListenClientURLs, s.ClientServer)
	wrapTLSListeners(metricsLns, cfg.ListenMetricsURLs, s.ClientServer)
	return nil
}

// autoTLSSide generates (or reuses) the self-signed certificate of one side.
func autoTLSSide(cfg *serverConfig, side tlsSide, what string, hosts []string) (tlsSide, error) {
	dir := filepath.Join(cfg.DataDir, "fixtures", what)
	cert, key, err := selfSignedCert(dir, hosts, cfg.TLS.SelfSignedValidity, time.Now())
	if err != nil {
		return side, err
	}
	side.CertFile, side.KeyFile = cert, key
	return side, nil
}

func logTLSSide(lg zerolog.Logger, what string, s tlsSide) {
	ev := lg.Info().Str("side", what).Str("cert_file", s.CertFile).Str("key_file", s.KeyFile).
		Str("trusted_ca_file", s.TrustedCAFile).Bool("client_cert_auth", s.requiresClientCert()).
		Str("crl_file", s.CRLFile).Bool("auto_tls", s.AutoTLS)
	if s.AllowedCN != "" {
		ev = ev.Str("allowed_cn", s.AllowedCN)
	}
	ev.Msg("TLS configuration")
}

// wrapTLSListeners puts TLS on the listeners whose URL is https; lns[i] listens for
// urls[i]. cfg is non-nil whenever there is an https URL (parseTLSConfig checks).
func wrapTLSListeners(lns []net.Listener, urls []*url.URL, cfg *tls.Config) {
	for i, ln := range lns {
		if urls[i].Scheme == "https" {
			lns[i] = tls.NewListener(ln, cfg)
		}
	}
}

// peerHTTPClient is the client for requests to other members' peer URLs outside the
// raft transport (joining reads their /members): the peer TLS configuration, no
// environment proxy, no kept connections.
func peerHTTPClient(cfg *serverConfig) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     cfg.TLS.PeerClient,
		TLSHandshakeTimeout: 5 * time.Second,
		DisableKeepAlives:   true,
	}}
}

// httpErrorLog sends net/http's own error lines (failed TLS handshakes above all) to the
// logger instead of plain stderr. A refused handshake is routine (a client without a
// valid certificate) and logged at Info, as the reference does.
func httpErrorLog(lg zerolog.Logger) *log.Logger {
	return log.New(httpLogWriter{lg}, "", 0)
}

type httpLogWriter struct{ lg zerolog.Logger }

func (w httpLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if from, cause, ok := strings.Cut(strings.TrimPrefix(msg, "http: TLS handshake error from "), ": "); ok && strings.HasPrefix(msg, "http: TLS handshake error") {
		w.lg.Info().Str("remote", from).Str("error", cause).Msg("rejected connection")
	} else {
		w.lg.Warn().Str("component", "http").Msg(msg)
	}
	return len(p), nil
}
