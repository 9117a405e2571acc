package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// serverConfig is everything the server's flags and ETCD_* variables decide, validated.
type serverConfig struct {
	Name                     string
	DataDir                  string
	WALDir                   string
	SnapshotCount            uint64
	HeartbeatInterval        time.Duration
	ElectionTimeout          time.Duration
	ListenPeerURLs           []*url.URL
	ListenClientURLs         []*url.URL
	InitialAdvertisePeerURLs []string
	AdvertiseClientURLs      []string
	InitialCluster           string
	InitialClusterState      string
	InitialClusterToken      string
	StrictReconfigCheck      bool
	MaxSnapshots             int
	MaxWALs                  int
	CORS                     []string
	ForceNewCluster          bool
	EnablePprof              bool
	LogLevel                 string
	LogFormat                string
	ListenMetricsURLs        []*url.URL
	MaxRequestBytes          int64
	EventHistory             int
	// TLS on the client and peer listeners and for dialing peers.
	TLS tlsSettings
	// Discovery and DNS SRV bootstrap.
	Discovery discoverySettings
	// Proxy mode.
	Proxy proxySettings
}

// Flag names shared by the definitions and the validation below.
const (
	flagName                = "name"
	flagDataDir             = "data-dir"
	flagWALDir              = "wal-dir"
	flagSnapshotCount       = "snapshot-count"
	flagHeartbeat           = "heartbeat-interval"
	flagElection            = "election-timeout"
	flagListenPeer          = "listen-peer-urls"
	flagListenClient        = "listen-client-urls"
	flagInitialAdvertise    = "initial-advertise-peer-urls"
	flagAdvertiseClient     = "advertise-client-urls"
	flagInitialCluster      = "initial-cluster"
	flagInitialClusterState = "initial-cluster-state"
	flagInitialClusterToken = "initial-cluster-token"
	flagStrictReconfig      = "strict-reconfig-check"
	flagMaxSnapshots        = "max-snapshots"
	flagMaxWALs             = "max-wals"
	flagCORS                = "cors"
	flagForceNewCluster     = "force-new-cluster"
	flagEnablePprof         = "enable-pprof"
	flagLogLevel            = "log-level"
	flagLogFormat           = "log-format"
	flagListenMetrics       = "listen-metrics-urls"
	flagMaxRequestBytes     = "max-request-bytes"
	flagEventHistory        = "event-history"
)

// ignoredV3Flags are etcd v3 settings people keep in unit files. They are accepted with a
// warning so such a unit starts unchanged (SPEC §8.1).
var ignoredV3Flags = []string{
	"enable-v2", "quota-backend-bytes", "auto-compaction-retention", "auto-compaction-mode",
	"logger", "log-outputs", "backend-batch-interval", "backend-batch-limit", "max-txn-ops",
	"initial-election-tick-advance", "pre-vote", "metrics", "auth-token", "bcrypt-cost",
	"auth-token-ttl", "host-whitelist", "grpc-keepalive-min-time", "grpc-keepalive-interval",
	"grpc-keepalive-timeout", "max-concurrent-streams", "experimental-initial-corrupt-check",
}

// ignoredV3Bools are the ignored flags that take no value.
var ignoredV3Bools = map[string]bool{
	"enable-v2": true, "initial-election-tick-advance": true, "pre-vote": true,
	"experimental-initial-corrupt-check": true,
}

// serverFlags defines the server's flags. Every flag is also read from ETCD_<FLAG> (see
// applyEnv); the command line wins.
func serverFlags() []cli.Flag {
	fs := []cli.Flag{
		&cli.StringFlag{Name: flagName, Value: "default", Usage: "Human-readable name for this member."},
		&cli.StringFlag{Name: flagDataDir, Value: "${name}.etcd", Usage: "Path to the data directory."},
		&cli.StringFlag{Name: flagWALDir, Usage: "Path to the dedicated wal directory."},
		&cli.Uint64Flag{Name: flagSnapshotCount, Value: 100000, Usage: "Number of committed transactions to trigger a snapshot to disk."},
		&cli.UintFlag{Name: flagHeartbeat, Value: 100, Usage: "Time (in milliseconds) of a heartbeat interval."},
		&cli.UintFlag{Name: flagElection, Value: 1000, Usage: "Time (in milliseconds) for an election to timeout."},
		&cli.StringFlag{Name: flagListenPeer, Value: "http://localhost:2380", Usage: "List of URLs to listen on for peer traffic."},
		&cli.StringFlag{Name: flagListenClient, Value: "http://localhost:2379", Usage: "List of URLs to listen on for client traffic."},
		&cli.StringFlag{Name: flagInitialAdvertise, Value: "http://localhost:2380", Usage: "List of this member's peer URLs to advertise to the rest of the cluster."},
		&cli.StringFlag{Name: flagAdvertiseClient, Value: "http://localhost:2379", Usage: "List of this member's client URLs to advertise to the public."},
		&cli.StringFlag{Name: flagInitialCluster, Value: "default=http://localhost:2380", Usage: "Initial cluster configuration for bootstrapping."},
		&cli.StringFlag{Name: flagInitialClusterState, Value: "new", Usage: "Initial cluster state ('new' or 'existing')."},
		&cli.StringFlag{Name: flagInitialClusterToken, Value: "etcd-cluster", Usage: "Initial cluster token for the etcd cluster during bootstrap."},
		&cli.BoolFlag{Name: flagStrictReconfig, Value: true, Usage: "Reject reconfiguration requests that would cause quorum loss."},
		&cli.UintFlag{Name: flagMaxSnapshots, Value: 5, Usage: "Maximum number of snapshot files to retain (0 is unlimited)."},
		&cli.UintFlag{Name: flagMaxWALs, Value: 5, Usage: "Maximum number of wal files to retain (0 is unlimited)."},
		&cli.StringFlag{Name: flagCORS, Value: "*", Usage: "Comma-separated whitelist of origins for CORS (empty or * means allow all)."},
		&cli.BoolFlag{Name: flagForceNewCluster, Usage: "Force to create a new one member cluster."},
		&cli.BoolFlag{Name: flagEnablePprof, Usage: "Enable runtime profiling data via HTTP server at client URL + \"/debug/pprof/\"."},
		&cli.StringFlag{Name: flagLogLevel, Value: "info", Usage: "Log level: debug, info, warn, error."},
		&cli.StringFlag{Name: flagLogFormat, Value: "auto", Usage: "Log format: json, console, or auto (console on a terminal, json otherwise)."},
		&cli.StringFlag{Name: flagListenMetrics, Usage: "List of additional URLs to serve /metrics and /health on."},
		&cli.Int64Flag{Name: flagMaxRequestBytes, Value: 1572864, Usage: "Maximum client request body size in bytes the server will accept."},
		&cli.UintFlag{Name: flagEventHistory, Value: 1000, Usage: "Number of events kept for watches with waitIndex (etcd2 addition; 1000 as etcd)."},
	}
	fs = append(fs, tlsFlags()...)
	fs = append(fs, discoveryFlags()...)
	fs = append(fs, proxyFlags()...)
	for _, name := range ignoredV3Flags {
		if ignoredV3Bools[name] {
			// Bool, so that a bare --enable-v2 does not swallow the next argument.
			fs = append(fs, &cli.BoolFlag{Name: name, Hidden: true})
		} else {
			fs = append(fs, &cli.StringFlag{Name: name, Hidden: true})
		}
	}
	for _, f := range fs {
		if sf, ok := f.(interface{ GetUsage() string }); ok && sf.GetUsage() != "" {
			setUsageEnv(f)
		}
	}
	return fs
}

// setUsageEnv appends the flag's environment variable to its help text.
func setUsageEnv(f cli.Flag) {
	env := envName(f.Names()[0])
	switch v := f.(type) {
	case *cli.StringFlag:
		v.Usage += " [$" + env + "]"
	case *cli.BoolFlag:
		v.Usage += " [$" + env + "]"
	case *cli.UintFlag:
		v.Usage += " [$" + env + "]"
	case *cli.Uint64Flag:
		v.Usage += " [$" + env + "]"
	case *cli.Int64Flag:
		v.Usage += " [$" + env + "]"
	}
}

// envName maps a flag name to its environment variable: data-dir → ETCD_DATA_DIR.
func envName(flag string) string {
	return "ETCD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// envNotice is something applyEnv wants logged once the logger exists.
type envNotice struct {
	variable, value, flag string
	shadowed              bool // the flag was also given on the command line
}

// applyEnv sets every flag not given on the command line from its ETCD_* variable and
// reports what it did: variables shadowed by a flag and unrecognized ETCD_* variables
// are logged by the caller (the reference refuses to start on a shadowed variable; we let
// the flag win, SPEC §8.1).
func applyEnv(c *cli.Context, environ []string) (notices []envNotice, unknown []string, err error) {
	known := map[string]string{}
	for _, f := range c.App.Flags {
		name := f.Names()[0]
		known[envName(name)] = name
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "ETCD_") {
			continue
		}
		name, isFlag := known[k]
		if !isFlag {
			if k != "ETCD_UNSUPPORTED_ARCH" {
				unknown = append(unknown, k)
			}
			continue
		}
		if c.IsSet(name) {
			notices = append(notices, envNotice{variable: k, value: v, flag: name, shadowed: true})
			continue
		}
		if err := c.Set(name, v); err != nil {
			return nil, nil, fmt.Errorf("invalid value %q for %s: %v", v, k, err)
		}
		notices = append(notices, envNotice{variable: k, value: v, flag: name})
	}
	sort.Strings(unknown)
	return notices, unknown, nil
}

// errConfig marks a configuration error: main prints it on one line and exits 1.
var errConfig = errors.New("invalid configuration")

// parseServerConfig validates the flags into a serverConfig.
func parseServerConfig(c *cli.Context) (*serverConfig, error) {
	cfg := &serverConfig{
		Name:                c.String(flagName),
		DataDir:             c.String(flagDataDir),
		WALDir:              c.String(flagWALDir),
		SnapshotCount:       c.Uint64(flagSnapshotCount),
		HeartbeatInterval:   time.Duration(c.Uint(flagHeartbeat)) * time.Millisecond,
		ElectionTimeout:     time.Duration(c.Uint(flagElection)) * time.Millisecond,
		InitialCluster:      c.String(flagInitialCluster),
		InitialClusterState: c.String(flagInitialClusterState),
		InitialClusterToken: c.String(flagInitialClusterToken),
		StrictReconfigCheck: c.Bool(flagStrictReconfig),
		MaxSnapshots:        int(c.Uint(flagMaxSnapshots)),
		MaxWALs:             int(c.Uint(flagMaxWALs)),
		ForceNewCluster:     c.Bool(flagForceNewCluster),
		EnablePprof:         c.Bool(flagEnablePprof),
		LogLevel:            c.String(flagLogLevel),
		LogFormat:           c.String(flagLogFormat),
		MaxRequestBytes:     c.Int64(flagMaxRequestBytes),
		EventHistory:        int(c.Uint(flagEventHistory)),
	}
	if cfg.DataDir == "${name}.etcd" {
		cfg.DataDir = cfg.Name + ".etcd"
	}
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("%w: --data-dir must not be empty", errConfig)
	}
	var err error
	if cfg.ListenPeerURLs, err = parseURLs(flagListenPeer, c.String(flagListenPeer), true); err != nil {
		return nil, err
	}
	if cfg.ListenClientURLs, err = parseURLs(flagListenClient, c.String(flagListenClient), true); err != nil {
		return nil, err
	}
	if cfg.InitialAdvertisePeerURLs, err = urlStrings(flagInitialAdvertise, c.String(flagInitialAdvertise)); err != nil {
		return nil, err
	}
	if cfg.AdvertiseClientURLs, err = urlStrings(flagAdvertiseClient, c.String(flagAdvertiseClient)); err != nil {
		return nil, err
	}
	if m := c.String(flagListenMetrics); m != "" {
		if cfg.ListenMetricsURLs, err = parseURLs(flagListenMetrics, m, true); err != nil {
			return nil, err
		}
	}
	// The reference refuses to guess what to advertise when it listens somewhere explicit.
	if c.IsSet(flagListenClient) && !c.IsSet(flagAdvertiseClient) && !mayBeProxy(c) {
		return nil, fmt.Errorf("%w: --advertise-client-urls is required when --listen-client-urls is set explicitly", errConfig)
	}
	if c.IsSet(flagListenPeer) && !c.IsSet(flagInitialAdvertise) && c.IsSet(flagInitialCluster) &&
		cfg.InitialClusterState == "new" {
		return nil, fmt.Errorf("%w: --initial-advertise-peer-urls is required when --listen-peer-urls is set explicitly", errConfig)
	}
	switch cfg.InitialClusterState {
	case "new", "existing":
	default:
		return nil, fmt.Errorf("%w: invalid value %q for --initial-cluster-state (want 'new' or 'existing')", errConfig, cfg.InitialClusterState)
	}
	if cfg.HeartbeatInterval <= 0 {
		return nil, fmt.Errorf("%w: --heartbeat-interval must be positive", errConfig)
	}
	if 5*cfg.HeartbeatInterval > cfg.ElectionTimeout {
		return nil, fmt.Errorf("%w: --election-timeout[%dms] should be at least as 5 times as --heartbeat-interval[%dms]",
			errConfig, cfg.ElectionTimeout.Milliseconds(), cfg.HeartbeatInterval.Milliseconds())
	}
	if cfg.ElectionTimeout > 50*time.Second {
		return nil, fmt.Errorf("%w: --election-timeout[%dms] is too long, and should be set less than 50000ms",
			errConfig, cfg.ElectionTimeout.Milliseconds())
	}
	if cfg.MaxRequestBytes <= 0 {
		return nil, fmt.Errorf("%w: --max-request-bytes must be positive", errConfig)
	}
	if cfg.EventHistory < 1 {
		return nil, fmt.Errorf("%w: --event-history must be at least 1", errConfig)
	}
	for _, o := range strings.Split(c.String(flagCORS), ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORS = append(cfg.CORS, o)
		}
	}
	switch cfg.LogFormat {
	case "auto", "json", "console":
	default:
		return nil, fmt.Errorf("%w: invalid value %q for --log-format (want auto, json or console)", errConfig, cfg.LogFormat)
	}
	if err := parseTLSConfig(c, cfg); err != nil {
		return nil, err
	}
	if err := parseDiscoveryConfig(c, cfg); err != nil {
		return nil, err
	}
	if err := parseProxyConfig(c, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parseURLs parses a comma-separated URL list. Listen URLs must be http(s) with a
// host:port and no path.
func parseURLs(flag, s string, listen bool) ([]*url.URL, error) {
	var out []*url.URL
	for _, raw := range strings.Split(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: --%s: %v", errConfig, flag, err)
		}
		switch {
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, fmt.Errorf("%w: --%s: URL scheme must be http or https: %s", errConfig, flag, raw)
		case u.Host == "" || u.Port() == "":
			return nil, fmt.Errorf("%w: --%s: URL address does not have the form \"host:port\": %s", errConfig, flag, raw)
		case u.Path != "" && u.Path != "/":
			return nil, fmt.Errorf("%w: --%s: URL must not contain a path: %s", errConfig, flag, raw)
		}
		u.Path = ""
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: --%s: no URL given", errConfig, flag)
	}
	return out, nil
}

func urlStrings(flag, s string) ([]string, error) {
	us, err := parseURLs(flag, s, false)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.String()
	}
	return out, nil
}

// unusedFlagWarnings lists the ignored v3 flags that were given.
func unusedFlagWarnings(c *cli.Context) []string {
	var out []string
	for _, name := range ignoredV3Flags {
		if c.IsSet(name) {
			out = append(out, name)
		}
	}
	return out
}

// stderrIsTerminal reports whether logs go to a terminal (console format in auto mode).
func stderrIsTerminal() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
