package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/proxy"
)

// Data dir layout shared by members and proxies: a data dir holds one or the other.
const (
	memberDirName = "member"
	proxyDirName  = "proxy"
)

// runsAsProxy decides between member and proxy the way the reference does: a data dir
// that already holds a member or a proxy keeps being one whatever --proxy says; an
// empty one follows --proxy.
func runsAsProxy(cfg *serverConfig, lg zerolog.Logger) (bool, error) {
	isDir := func(name string) bool {
		fi, err := os.Stat(filepath.Join(cfg.DataDir, name))
		return err == nil && fi.IsDir()
	}
	member, prox := isDir(memberDirName), isDir(proxyDirName)
	switch {
	case member && prox:
		return false, fmt.Errorf("%w: invalid data dir %s: both member and proxy directories exist", errConfig, cfg.DataDir)
	case member:
		if cfg.Proxy.Mode != proxyOff {
			lg.Warn().Str("data_dir", cfg.DataDir).Msg("data dir already initialized as a member; starting as a member, not a proxy")
		}
		return false, nil
	case prox:
		if cfg.Proxy.Mode == proxyOff {
			lg.Info().Str("data_dir", cfg.DataDir).Msg("data dir already initialized as a proxy; starting as a proxy")
		}
		return true, nil
	}
	return cfg.Proxy.Mode != proxyOff, nil
}

// serveProxy runs a proxy started from its flags (--proxy on|readonly, or a data dir
// that holds a proxy). The peers to ask for the member list are the saved cluster file's;
// without one, the discovery token's registrations (read only: a proxy never registers)
// or the SRV records, else every peer URL in --initial-cluster.
func serveProxy(ctx context.Context, cfg *serverConfig, lg zerolog.Logger) error {
	_, err := os.Stat(proxyClusterFile(cfg))
	switch {
	case err == nil:
		if cfg.Discovery.URL != "" {
			lg.Warn().Str("cluster_file", proxyClusterFile(cfg)).
				Msg("discovery token ignored since the proxy has already been initialized; valid cluster file found")
		}
		if cfg.Discovery.SRV != "" {
			lg.Warn().Str("cluster_file", proxyClusterFile(cfg)).
				Msg("DNS SRV discovery ignored since the proxy has already been initialized; valid cluster file found")
		}
		return runProxy(ctx, cfg, lg, nil)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot access data directory: %w", err)
	}
	var peerURLs []string
	if cfg.Discovery.enabled() {
		if peerURLs, err = discoveredPeerURLs(ctx, cfg, lg); err != nil {
			return err
		}
	} else {
		ic, err := members.ParseInitialCluster(cfg.InitialCluster)
		if err != nil {
			return err
		}
		for _, n := range ic.Names {
			peerURLs = append(peerURLs, ic.URLs[n]...)
		}
		slices.Sort(peerURLs)
	}
	return runProxy(ctx, cfg, lg, slices.Compact(peerURLs))
}

// proxyClusterFile is where a proxy keeps the peer URLs it last learned.
func proxyClusterFile(cfg *serverConfig) string {
	return filepath.Join(cfg.DataDir, proxyDirName, "cluster")
}

// runProxy runs the v2 client-API proxy until ctx ends (SPEC §8.2). peerURLs are the
// peers asked for the member list (GET <peer>/members) when the data dir has no cluster
// file yet; once it has one, the file's URLs are used and peerURLs are ignored. A
// proxy started by a discovery fallback (--proxy off) proxies reads and writes.
func runProxy(ctx context.Context, cfg *serverConfig, lg zerolog.Logger, peerURLs []string) error {
	mode := cfg.Proxy.Mode
	if mode == proxyOff {
		mode = proxyOn
	}
	lg.Info().Str("mode", mode).Msg("v2 API proxy starting")
	saved, err := readProxyClusterFile(cfg)
	if err != nil {
		return err
	}
	if saved != nil {
		peerURLs = saved
		lg.Info().Strs("peer_urls", peerURLs).Str("cluster_file", proxyClusterFile(cfg)).Msg("proxy using peer URLs from cluster file")
	} else {
		lg.Info().Strs("peer_urls", peerURLs).Msg("proxy using peer URLs")
	}
	if len(peerURLs) == 0 {
		return errors.New("proxy: no peer URLs to ask for the member list")
	}

	clientLns, err := listenAll(cfg.ListenClientURLs)
	if err != nil {
		return err
	}
	defer closeAll(clientLns)
	// Decided before setupTLS, which fills in generated certificates: like the
	// reference, the proxy dials members with the client certificate when one was
	// given, else with the peer TLS settings.
	memberTLS, err := proxyMemberTLS(cfg)
	if err != nil {
		return err
	}
	if err := setupTLS(cfg, lg, nil, clientLns, nil); err != nil {
		return err
	}
	ps := cfg.Proxy
	cluster := &proxyCluster{
		hc:       &http.Client{Transport: proxy.NewTransport(cfg.TLS.PeerClient, ps.DialTimeout, ps.ReadTimeout, ps.WriteTimeout), Timeout: 10 * time.Second},
		peerURLs: peerURLs,
		written:  saved,
		file:     proxyClusterFile(cfg),
		lg:       lg,
	}
	// Closed first at shutdown: it ends the proxied watches, which would otherwise
	// hold the graceful HTTP shutdown up until its deadline.
	watchesDone := make(chan struct{})
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p, err := proxy.New(proxy.Config{
		Transport:       proxy.NewTransport(memberTLS, ps.DialTimeout, ps.ReadTimeout, ps.WriteTimeout),
		URLs:            cluster.clientURLs,
		FailureWait:     ps.FailureWait,
		RefreshInterval: ps.RefreshInterval,
		ReadOnly:        mode == proxyReadonly,
		CORS:            cfg.CORS,
		Registerer:      registry,
		Logger:          lg,
		Done:            watchesDone,
	})
	if err != nil {
		return err
	}
	p.Refresh(ctx)

	// The proxy serves its own metrics on the client port, any method, readonly or not;
	// everything else goes to the members.
	metrics := promhttp.InstrumentMetricHandler(registry, promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			metrics.ServeHTTP(w, r)
			return
		}
		p.Handler().ServeHTTP(w, r)
	})

	runCtx, stopRefresh := context.WithCancel(ctx)
	refreshDone := make(chan error, 1)
	go func() { refreshDone <- p.Run(runCtx) }()
	err = serveProxyHTTP(ctx, lg, clientLns, mux, watchesDone)
	stopRefresh()
	<-refreshDone
	lg.Info().Msg("stopped")
	return err
}

// serveProxyHTTP serves h on lns until ctx ends or a listener fails, then shuts the
// servers down gracefully, closing watchesDone first.
func serveProxyHTTP(ctx context.Context, lg zerolog.Logger, lns []net.Listener, h http.Handler, watchesDone chan struct{}) error {
	var servers []*http.Server
	serveErrc := make(chan error, len(lns))
	for _, ln := range lns {
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 30 * time.Second,
			ErrorLog:          httpErrorLog(lg),
		}
		servers = append(servers, srv)
		lg.Info().Str("address", ln.Addr().String()).Msg("v2 proxy listening for client requests")
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				serveErrc <- fmt.Errorf("serving client requests on %s: %w", ln.Addr(), err)
			}
		}()
	}

	var serveErr error
	select {
	case <-ctx.Done():
		lg.Info().Msg("received signal; shutting down")
	case serveErr = <-serveErrc:
	}
	close(watchesDone)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			lg.Warn().Err(err).Msg("client HTTP shutdown did not finish in time")
		}
	}
	return serveErr
}

// readProxyClusterFile returns the peer URLs a proxy saved in this data dir, nil if it
// saved none yet, creating <data-dir>/proxy.
func readProxyClusterFile(cfg *serverConfig) ([]string, error) {
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, proxyDirName), 0o700); err != nil {
		return nil, fmt.Errorf("cannot access data directory: %w", err)
	}
	saved, err := proxy.ReadClusterFile(proxyClusterFile(cfg))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return saved, err
}

// proxyMemberTLS is the TLS configuration for dialing https members.
func proxyMemberTLS(cfg *serverConfig) (*tls.Config, error) {
	s := cfg.TLS
	if !s.Client.hasCert() {
		c := s.PeerClient.Clone()
		if c != nil && s.Client.AutoTLS {
			c.InsecureSkipVerify = true
		}
		return c, nil
	}
	_, c, err := buildTLS(s.Client, s.CipherSuites, s.Client.AutoTLS, "client")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	return c, nil
}

// proxyCluster learns the members' client URLs from their peers' /members and keeps
// the cluster file up to date with their peer URLs.
type proxyCluster struct {
	hc   *http.Client
	file string
	lg   zerolog.Logger

	mu       sync.Mutex
	peerURLs []string // peers to ask, replaced by the cluster's own after each success
	written  []string // what the cluster file holds
	failing  bool     // the last attempt failed (logged once per outage)
}

// clientURLs asks the known peers in turn for the member list and returns every
// member's client URLs, sorted; nil when no peer answers, which leaves the proxy with no
// endpoint until one does (the reference's behaviour).
func (pc *proxyCluster) clientURLs(ctx context.Context) []string {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	var lastErr error
	for _, u := range pc.peerURLs {
		ms, _, err := fetchMembers(ctx, pc.hc, u)
		if err != nil {
			lastErr = err
			continue
		}
		if len(ms) == 0 {
			lastErr = fmt.Errorf("%s/members: empty member list", u)
			continue
		}
		var clientURLs, peerURLs []string
		for _, m := range ms {
			clientURLs = append(clientURLs, m.ClientURLs...)
			peerURLs = append(peerURLs, m.PeerURLs...)
		}
		slices.Sort(clientURLs)
		slices.Sort(peerURLs)
		if pc.failing {
			pc.lg.Info().Str("peer_url", u).Msg("proxy reached the cluster again")
			pc.failing = false
		}
		if !slices.Equal(peerURLs, pc.written) {
			if err := proxy.WriteClusterFile(pc.file, peerURLs); err != nil {
				pc.lg.Warn().Err(err).Str("cluster_file", pc.file).Msg("proxy failed to write cluster file")
			} else {
				pc.written = peerURLs
			}
		}
		if !slices.Equal(peerURLs, pc.peerURLs) {
			pc.lg.Info().Strs("from", pc.peerURLs).Strs("to", peerURLs).Msg("proxy updated peer URLs")
			pc.peerURLs = peerURLs
		}
		return clientURLs
	}
	if !pc.failing {
		pc.lg.Warn().Strs("peer_urls", pc.peerURLs).Err(lastErr).Msg("failed to get cluster from remote peers")
		pc.failing = true
	} else {
		pc.lg.Debug().Strs("peer_urls", pc.peerURLs).Err(lastErr).Msg("failed to get cluster from remote peers")
	}
	return nil
}
