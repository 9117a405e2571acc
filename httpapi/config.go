package httpapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/auth"
	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/store"
)

// Server is the replicated side of a member, as the HTTP layer uses it.
type Server interface {
	// Do proposes cmd through raft and waits until it is applied locally. Errors that are
	// not *store.Error are replication failures (timeout, stopped, removed); their text is
	// shown to clients as the cause of error 300.
	Do(ctx context.Context, cmd *store.Command) (*store.Event, error)
	// LinearizableRead returns once the local store holds everything committed before the
	// call (quorum=true reads and /health).
	LinearizableRead(ctx context.Context) error

	// ClusterID is X-Etcd-Cluster-Id.
	ClusterID() members.ID
	// Leader is the current leader, 0 when there is none.
	Leader() members.ID
	// Term is X-Raft-Term.
	Term() uint64
	// CommittedIndex is X-Raft-Index.
	CommittedIndex() uint64

	// Members lists the cluster's members.
	Members() []members.Member
	// AddMember adds a member with the given (validated, normalized) peer URLs.
	AddMember(ctx context.Context, peerURLs []string) (members.Member, error)
	// RemoveMember removes member id.
	RemoveMember(ctx context.Context, id members.ID) error
	// UpdateMember replaces the peer URLs of member id.
	UpdateMember(ctx context.Context, id members.ID, peerURLs []string) error

	// SelfStats is the /v2/stats/self body.
	SelfStats() []byte
	// LeaderStats is the /v2/stats/leader body; false when this member does not lead.
	LeaderStats() ([]byte, bool)
	// ClusterVersion is the agreed cluster version, "" until it is decided.
	ClusterVersion() string
}

// KV is the read side of the local store (*store.Store).
type KV interface {
	// AppendGetJSON appends the body of a read of key to buf and returns the store index.
	AppendGetJSON(buf []byte, key string, recursive, sorted bool, trim string) ([]byte, uint64, error)
	// Watch registers a watcher (SPEC §3).
	Watch(key string, recursive, stream bool, sinceIndex uint64) (*store.Watcher, error)
	// Stats returns the /v2/stats/store counters.
	Stats() store.Stats
}

// Config configures New.
type Config struct {
	Server Server // required
	KV     KV     // required
	Logger zerolog.Logger

	// CORS lists the allowed origins; empty or containing "*" allows every origin.
	CORS []string
	// RequestTimeout bounds writes, quorum reads and membership changes. The reference
	// uses 5 s + 2 × election timeout; the default is 7 s (1 s election timeout).
	RequestTimeout time.Duration
	// MaxRequestBytes bounds request bodies (default 1.5 MiB); larger bodies get 413.
	MaxRequestBytes int64
	// Version is this server's version, reported by /version as "etcdserver".
	Version string
	// Registry holds the metrics served on /metrics; New registers the store and health
	// collectors in it. Nil means a private registry with those plus the Go and process
	// collectors.
	Registry *prometheus.Registry
	// Clock turns a TTL into an absolute expire time (default time.Now).
	Clock func() time.Time
	// EnablePprof serves /debug/pprof/*.
	EnablePprof bool
	// SetLogLevel changes the process log level (PUT /config/local/log). Nil leaves the
	// route unserved (404).
	SetLogLevel func(zerolog.Level)
	// Done, when closed, ends every open watch: close it before shutting the HTTP server
	// down so that long polls do not hold the shutdown up.
	Done <-chan struct{}
	// Auth serves /v2/auth and, once auth is enabled, guards keys, members writes and the
	// auth API itself (SPEC §6). Nil leaves /v2/auth unserved and everything open.
	Auth *auth.Store
	// ClientCertAuth (--client-cert-auth) lets the CN of a verified client certificate
	// name the user of a request without an Authorization header.
	ClientCertAuth bool
}

// Defaults of Config.
const (
	DefaultRequestTimeout  = 7 * time.Second
	DefaultMaxRequestBytes = 3 << 19 // 1.5 MiB
)

// ErrInvalidConfig wraps every reason New refuses a Config.
var ErrInvalidConfig = errors.New("httpapi: invalid config")

// withDefaults validates c and fills the zero fields that have defaults.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Server == nil:
		return c, fmt.Errorf("%w: no server", ErrInvalidConfig)
	case c.KV == nil:
		return c, fmt.Errorf("%w: no store", ErrInvalidConfig)
	case c.RequestTimeout < 0:
		return c, fmt.Errorf("%w: negative request timeout", ErrInvalidConfig)
	case c.MaxRequestBytes < 0:
		return c, fmt.Errorf("%w: negative max request bytes", ErrInvalidConfig)
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
		c.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return c, nil
}
