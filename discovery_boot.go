package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"

	"github.com/etcd2/etcd2/discovery"
	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/raft"
	"github.com/etcd2/etcd2/wal"
)

// Discovery flag names.
const (
	flagDiscovery            = "discovery"
	flagDiscoveryFallback    = "discovery-fallback"
	flagDiscoveryProxy       = "discovery-proxy"
	flagDiscoverySRV         = "discovery-srv"
	flagDiscoverySRVName     = "discovery-srv-name"
	flagDiscoverySRVResolver = "discovery-srv-resolver"
)

// Values of --discovery-fallback.
const (
	fallbackProxy = "proxy"
	fallbackExit  = "exit"
)

// discoverySettings is the discovery part of serverConfig (SPEC §7.1, §7.3).
type discoverySettings struct {
	URL         string // --discovery
	Fallback    string // fallbackProxy or fallbackExit
	Proxy       string // --discovery-proxy
	SRV         string // --discovery-srv domain
	SRVName     string // --discovery-srv-name suffix
	SRVResolver string // DNS server for SRV lookups ("" = the system's)
}

// enabled reports whether the initial cluster comes from discovery instead of
// --initial-cluster.
func (s discoverySettings) enabled() bool { return s.URL != "" || s.SRV != "" }

func discoveryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagDiscovery, Usage: "Discovery URL used to bootstrap the cluster."},
		&cli.GenericFlag{Name: flagDiscoveryFallback,
			Value: &choiceValue{value: fallbackProxy, valid: []string{fallbackProxy, fallbackExit}},
			Usage: "Expected behavior ('exit' or 'proxy') when discovery services fails. [$" + envName(flagDiscoveryFallback) + "]"},
		&cli.StringFlag{Name: flagDiscoveryProxy, Usage: "HTTP proxy to use for traffic to discovery service."},
		&cli.StringFlag{Name: flagDiscoverySRV, Usage: "DNS domain used to bootstrap initial cluster."},
		&cli.StringFlag{Name: flagDiscoverySRVName, Usage: "Suffix to the dns srv name queried when bootstrapping."},
		&cli.StringFlag{Name: flagDiscoverySRVResolver, Usage: "DNS server (host:port) for --discovery-srv lookups instead of the system's (etcd2 addition)."},
	}
}

// errConflictBootstrap is the reference's refusal of two bootstrap methods at once.
var errConflictBootstrap = errors.New(`multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"`)

// parseDiscoveryConfig reads the discovery flags into cfg.Discovery. As in the
// reference, --discovery or --discovery-srv replaces the default --initial-cluster, and
// an explicit --initial-cluster next to one of them is a conflict.
func parseDiscoveryConfig(c *cli.Context, cfg *serverConfig) error {
	cfg.Discovery = discoverySettings{
		URL:         c.String(flagDiscovery),
		Fallback:    c.String(flagDiscoveryFallback),
		Proxy:       c.String(flagDiscoveryProxy),
		SRV:         c.String(flagDiscoverySRV),
		SRVName:     c.String(flagDiscoverySRVName),
		SRVResolver: c.String(flagDiscoverySRVResolver),
	}
	d := cfg.Discovery
	n := 0
	for _, set := range []bool{d.URL != "", c.IsSet(flagInitialCluster), d.SRV != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w: %v", errConfig, errConflictBootstrap)
	}
	if d.enabled() {
		cfg.InitialCluster = ""
	}
	return nil
}

// discoveryFallbackError ends a member whose discovery token is full when
// --discovery-fallback is proxy: the caller runs a proxy of the discovered cluster.
type discoveryFallbackError struct {
	peerURLs []string
}

func (e *discoveryFallbackError) Error() string {
	return "failed to join discovery cluster (" + discovery.ErrFullCluster.Error() + ")"
}

// serveOrFallBack runs the member, or, when discovery found the token full and the
// fallback is proxy, a proxy of the cluster the token describes (SPEC §7.1 point 8).
func serveOrFallBack(ctx context.Context, cfg *serverConfig, lg zerolog.Logger) error {
	err := serve(ctx, cfg, lg)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil && cfg.Discovery.enabled() {
		// Signalled while discovery waited for the other members: a clean stop.
		lg.Info().Msg("received signal while waiting for discovery; shutting down")
		return nil
	}
	var fb *discoveryFallbackError
	if !errors.As(err, &fb) {
		return err
	}
	lg.Warn().Str("fallback", fallbackProxy).Err(discovery.ErrFullCluster).
		Msg("discovery cluster is full, falling back to proxy")
	// serve made an empty member directory before discovery; left behind, it would make
	// the data dir both a member's and a proxy's, which cannot restart (the reference's
	// fallback proxies cannot).
	if err := os.Remove(filepath.Join(cfg.DataDir, memberDirName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		lg.Warn().Err(err).Str("data_dir", cfg.DataDir).Msg("cannot remove the unused member directory")
	}
	return runProxy(ctx, cfg, lg, fb.peerURLs)
}

// discoveryBootstrap computes the initial membership from a discovery URL or from SRV
// records. A data dir that already holds a WAL ignores both (SPEC §8.2).
func discoveryBootstrap(ctx context.Context, cfg *serverConfig, walDir string, lg zerolog.Logger) (raft.Bootstrap, error) {
	if wal.Exist(walDir) {
		if cfg.Discovery.URL != "" {
			lg.Warn().Str("wal_dir", walDir).
				Msg("discovery token ignored since a cluster has already been initialized; valid log found")
		} else {
			lg.Info().Str("wal_dir", walDir).Msg("restarting member from existing data dir; ignoring --discovery-srv")
		}
		return raft.Bootstrap{}, nil
	}
	if cfg.Discovery.URL != "" {
		return joinDiscovery(ctx, cfg, lg)
	}
	return bootstrapSRV(ctx, cfg, lg)
}

// joinDiscovery registers this member under the discovery token and builds the cluster
// from the registrations. The discovery URL is the cluster token of every member ID, so
// the IDs equal the reference's for the same URL and peer URLs (SPEC §7.1 point 10).
func joinDiscovery(ctx context.Context, cfg *serverConfig, lg zerolog.Logger) (raft.Bootstrap, error) {
	d := cfg.Discovery
	self, err := members.NormalizeURLs(cfg.InitialAdvertisePeerURLs)
	if err != nil {
		return raft.Bootstrap{}, err
	}
	id := members.MemberID(self, d.URL, nil)
	entries := make([]string, len(self))
	for i, u := range self {
		entries[i] = cfg.Name + "=" + u
	}
	lg.Info().Str("discovery_url", d.URL).Str("member_id", id.String()).Msg("joining the cluster through discovery")
	cluster, err := discovery.Join(ctx, discovery.Config{
		URL: d.URL, Proxy: d.Proxy, Key: id.String(), Value: strings.Join(entries, ","), Logger: lg,
	})
	if err != nil {
		return raft.Bootstrap{}, discoveryFailure(cfg, lg, cluster, err)
	}
	ic, err := members.ParseInitialCluster(cluster)
	if err != nil {
		return raft.Bootstrap{}, fmt.Errorf("discovery cluster %s: %w", cluster, err)
	}
	me, cid, ms, err := ic.Bootstrap(cfg.Name, cfg.InitialAdvertisePeerURLs, d.URL)
	if err != nil {
		return raft.Bootstrap{}, err
	}
	lg.Info().Str("cluster", cluster).Msg("bootstrapping the cluster found by discovery")
	return raft.Bootstrap{MemberID: me, ClusterID: cid, Members: ms}, nil
}

// discoveryFailure turns a discovery error into the reference's last words: the first
// error line becomes the process's one-line exit message, its advice goes to the log.
func discoveryFailure(cfg *serverConfig, lg zerolog.Logger, cluster string, err error) error {
	d := cfg.Discovery
	switch {
	case errors.Is(err, discovery.ErrFullCluster) && d.Fallback == fallbackProxy:
		var peers []string
		if ic, perr := members.ParseInitialCluster(cluster); perr == nil {
			for _, n := range ic.Names {
				peers = append(peers, ic.URLs[n]...)
			}
		}
		slices.Sort(peers)
		return &discoveryFallbackError{peerURLs: peers}
	case errors.Is(err, discovery.ErrDuplicateID):
		lg.Warn().Str("data_dir", cfg.DataDir).
			Msg("but etcd could not find valid cluster configuration in the given data dir; " +
				"check the data dir path if the previous bootstrap succeeded, or use a new discovery token if it failed")
		return fmt.Errorf("member %q has previously registered with discovery service token (%s).", cfg.Name, d.URL)
	case errors.Is(err, discovery.ErrDuplicateName):
		lg.Warn().Str("discovery_token", d.URL).
			Msg("please check (cURL) the discovery token for more information; do not reuse the discovery token, generate a new one to bootstrap the cluster")
		return fmt.Errorf("member with duplicated name has registered with discovery service token(%s).", d.URL)
	case errors.Is(err, context.Canceled):
		return err
	default:
		lg.Warn().Str("discovery_token", d.URL).
			Msg("discovery token was used, but failed to bootstrap the cluster; please generate a new discovery token and try to bootstrap again")
		return fmt.Errorf("failed to join discovery cluster (%v)", err)
	}
}

// bootstrapSRV builds the initial cluster from DNS SRV records (SPEC §7.3); the member
// IDs use --initial-cluster-token as with a static list.
func bootstrapSRV(ctx context.Context, cfg *serverConfig, lg zerolog.Logger) (raft.Bootstrap, error) {
	d := cfg.Discovery
	r := discovery.NewResolver(d.SRVResolver)
	cluster, err := discovery.SRVCluster(ctx, r, d.SRV, d.SRVName, cfg.Name, cfg.InitialAdvertisePeerURLs)
	if err != nil {
		return raft.Bootstrap{}, fmt.Errorf("error setting up initial cluster: %w", err)
	}
	for _, entry := range strings.Split(cluster, ",") {
		lg.Info().Str("node", entry).Msg("got bootstrap from DNS for etcd-server")
	}
	ic, err := members.ParseInitialCluster(cluster)
	if err != nil {
		return raft.Bootstrap{}, err
	}
	// The SRV target named after us resolves to one of our advertised peer URLs; its URL
	// (a host name, usually) is the one the cluster records.
	me, cid, ms, err := ic.Bootstrap(cfg.Name, ic.URLs[cfg.Name], cfg.InitialClusterToken)
	if err != nil {
		return raft.Bootstrap{}, err
	}
	return raft.Bootstrap{MemberID: me, ClusterID: cid, Members: ms}, nil
}

// discoveredPeerURLs gives a proxy the peer URLs of the cluster it fronts from
// --discovery (read-only: it never registers, SPEC §7.1 point 11) or --discovery-srv;
// nil when neither is set.
func discoveredPeerURLs(ctx context.Context, cfg *serverConfig, lg zerolog.Logger) ([]string, error) {
	d := cfg.Discovery
	var cluster string
	var err error
	switch {
	case d.URL != "":
		cluster, err = discovery.GetCluster(ctx, discovery.Config{URL: d.URL, Proxy: d.Proxy, Logger: lg})
		if err != nil {
			return nil, fmt.Errorf("failed to get discovery cluster (%v)", err)
		}
	case d.SRV != "":
		cluster, err = discovery.SRVCluster(ctx, discovery.NewResolver(d.SRVResolver), d.SRV, d.SRVName, "", nil)
		if err != nil {
			return nil, fmt.Errorf("error setting up initial cluster: %w", err)
		}
	default:
		return nil, nil
	}
	ic, err := members.ParseInitialCluster(cluster)
	if err != nil {
		return nil, err
	}
	var peers []string
	for _, n := range ic.Names {
		peers = append(peers, ic.URLs[n]...)
	}
	slices.Sort(peers)
	return peers, nil
}
