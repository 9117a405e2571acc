package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/auth"
	"github.com/etcd2/etcd2/httpapi"
	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/raft"
	"github.com/etcd2/etcd2/store"
	"github.com/etcd2/etcd2/wal"
)

// shutdownTimeout bounds how long in-flight requests may take to finish at shutdown.
const shutdownTimeout = 10 * time.Second

// serve runs one member until ctx ends (a signal) or the member stops on its own.
func serve(ctx context.Context, cfg *serverConfig, lg zerolog.Logger) error {
	// A proxy instead of a member: --proxy on|readonly, or a data dir holding a proxy.
	if asProxy, err := runsAsProxy(cfg, lg); err != nil {
		return err
	} else if asProxy {
		return serveProxy(ctx, cfg, lg)
	}
	memberDir := filepath.Join(cfg.DataDir, "member")
	if err := os.MkdirAll(memberDir, 0o700); err != nil {
		return fmt.Errorf("cannot access data directory: %w", err)
	}
	walDir := cfg.WALDir
	if walDir == "" {
		walDir = filepath.Join(memberDir, "wal")
	}

	// Listen before anything else: a busy port is reported before raft starts.
	peerLns, err := listenAll(cfg.ListenPeerURLs)
	if err != nil {
		return err
	}
	defer closeAll(peerLns)
	clientLns, err := listenAll(cfg.ListenClientURLs)
	if err != nil {
		return err
	}
	defer closeAll(clientLns)
	metricsLns, err := listenAll(cfg.ListenMetricsURLs)
	if err != nil {
		return err
	}
	defer closeAll(metricsLns)
	if err := setupTLS(cfg, lg, peerLns, clientLns, metricsLns); err != nil {
		return err
	}

	boot, err := bootstrap(ctx, cfg, walDir, lg)
	if err != nil {
		return err
	}
	st := store.New(store.WithNamespaces(members.Prefix, keysPrefix), store.WithHistorySize(cfg.EventHistory))
	node, err := raft.Start(raft.Config{
		Logger:              lg,
		Store:               st,
		Name:                cfg.Name,
		PeerURLs:            cfg.InitialAdvertisePeerURLs,
		ClientURLs:          cfg.AdvertiseClientURLs,
		MemberDir:           memberDir,
		WALDir:              cfg.WALDir,
		Bootstrap:           boot,
		TickInterval:        cfg.HeartbeatInterval,
		HeartbeatTicks:      1,
		ElectionTicks:       int(cfg.ElectionTimeout / cfg.HeartbeatInterval),
		SnapshotCount:       cfg.SnapshotCount,
		MaxSnapshots:        cfg.MaxSnapshots,
		MaxWALs:             cfg.MaxWALs,
		StrictReconfigCheck: cfg.StrictReconfigCheck,
		ClusterVersion:      clusterVersion,
		ForceNewCluster:     cfg.ForceNewCluster,
		PeerTLS:             cfg.TLS.PeerClient,
	})
	if err != nil {
		return err
	}
	defer node.Stop()
	procsCtx, stopProcs := context.WithCancel(ctx)
	defer stopProcs()
	_, explicitProcs := os.LookupEnv("GOMAXPROCS")
	go tuneProcs(procsCtx, lg, func() uint64 { return node.Metrics().WALSyncs }, explicitProcs)
	lg.Info().Str("name", cfg.Name).Str("data_dir", cfg.DataDir).
		Str("member_id", node.ID().String()).Str("cluster_id", node.ClusterID().String()).
		Msg("member identity")

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registry.MustRegister(newRaftCollector(node))
	watchesDone := make(chan struct{})
	authStore, err := auth.New(auth.Config{Proposer: node, Reader: st, Logger: lg})
	if err != nil {
		return err
	}
	handler, err := httpapi.New(httpapi.Config{
		Server:          node,
		KV:              st,
		Logger:          lg,
		CORS:            cfg.CORS,
		RequestTimeout:  5*time.Second + 2*cfg.ElectionTimeout,
		MaxRequestBytes: cfg.MaxRequestBytes,
		Version:         version,
		Registry:        registry,
		EnablePprof:     cfg.EnablePprof,
		SetLogLevel:     setLogLevel,
		Done:            watchesDone,
		Auth:            authStore,
		ClientCertAuth:  cfg.TLS.Client.ClientCertAuth,
	})
	if err != nil {
		return err
	}

	var peerServers, clientServers []*http.Server
	serveErrc := make(chan error, len(peerLns)+len(clientLns)+len(metricsLns))
	start := func(lns []net.Listener, h http.Handler, what string) {
		for _, ln := range lns {
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: httpErrorLog(lg)}
			if what == "peers" {
				peerServers = append(peerServers, srv)
			} else {
				clientServers = append(clientServers, srv)
			}
			lg.Info().Str("address", ln.Addr().String()).Msg("listening for " + what)
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					serveErrc <- fmt.Errorf("serving %s on %s: %w", what, ln.Addr(), err)
				}
			}()
		}
	}
	start(peerLns, newPeerHandler(node, version), "peers")

	// Clients are served once the member has published itself (the reference accepts
	// connections earlier but answers nothing until then; the listeners queue them).
	select {
	case <-node.Ready():
	case <-node.Done():
		return stopErr(node)
	case <-ctx.Done():
		lg.Info().Msg("received signal before ready; shutting down")
		return shutdown(lg, clientServers, peerServers, watchesDone, node)
	}
	start(clientLns, handler, "client requests")
	start(metricsLns, handler, "metrics")
	lg.Info().Strs("client_urls", cfg.AdvertiseClientURLs).Msg("ready to serve client requests")

	select {
	case <-ctx.Done():
		lg.Info().Msg("received signal; shutting down")
		return shutdown(lg, clientServers, peerServers, watchesDone, node)
	case <-node.Done():
		shutdown(lg, clientServers, peerServers, watchesDone, node)
		return stopErr(node)
	case err := <-serveErrc:
		shutdown(lg, clientServers, peerServers, watchesDone, node)
		return err
	}
}

// shutdown stops accepting client requests and lets in-flight ones finish, then stops
// raft (which ends the peer streams and syncs and closes the WAL), then the peer
// listener. Open watches end first: they would hold the client shutdown up.
func shutdown(lg zerolog.Logger, clients, peers []*http.Server, watchesDone chan struct{}, node *raft.Node) error {
	close(watchesDone)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, srv := range clients {
		if err := srv.Shutdown(ctx); err != nil {
			lg.Warn().Err(err).Msg("client HTTP shutdown did not finish in time")
		}
	}
	node.Stop()
	for _, srv := range peers {
		if err := srv.Shutdown(ctx); err != nil {
			lg.Warn().Err(err).Msg("peer HTTP shutdown did not finish in time")
		}
	}
	lg.Info().Msg("stopped")
	return nil
}

// stopErr explains why the member stopped on its own.
func stopErr(node *raft.Node) error {
	err := node.Err()
	if errors.Is(err, raft.ErrRemoved) {
		return nil // removed members exit cleanly (issue #4); the raft log line says why
	}
	if err == nil {
		err = errors.New("member stopped")
	}
	return err
}

// keysPrefix is the store namespace of user keys (/v2/keys maps onto it).
const keysPrefix = "/1"

// bootstrap computes the initial membership from the flags when the data dir holds no
// WAL yet; on restart the flags are ignored (SPEC §8.2) and the WAL's identity is used.
func bootstrap(ctx context.Context, cfg *serverConfig, walDir string, lg zerolog.Logger) (raft.Bootstrap, error) {
	if cfg.Discovery.enabled() {
		return discoveryBootstrap(ctx, cfg, walDir, lg)
	}
	if wal.Exist(walDir) {
		lg.Info().Str("wal_dir", walDir).Msg("restarting member from existing data dir; ignoring --initial-* flags")
		return raft.Bootstrap{}, nil
	}
	ic, err := members.ParseInitialCluster(cfg.InitialCluster)
	if err != nil {
		return raft.Bootstrap{}, err
	}
	if cfg.InitialClusterState == "existing" {
		return joinExisting(ctx, peerHTTPClient(cfg), ic, cfg.Name, cfg.InitialAdvertisePeerURLs)
	}
	self, cid, ms, err := ic.Bootstrap(cfg.Name, cfg.InitialAdvertisePeerURLs, cfg.InitialClusterToken)
	if err != nil {
		return raft.Bootstrap{}, err
	}
	return raft.Bootstrap{MemberID: self, ClusterID: cid, Members: ms}, nil
}

// listenAll opens a TCP listener for every URL.
func listenAll(urls []*url.URL) ([]net.Listener, error) {
	var lns []net.Listener
	for _, u := range urls {
		ln, err := net.Listen("tcp", u.Host)
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("cannot listen on %s: %w", u, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}
