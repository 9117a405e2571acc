package raft

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/store"
)

// Config configures a member. main builds it from flags; tests build it by hand.
type Config struct {
	Logger zerolog.Logger
	// Store is the state machine. It must be freshly created (empty namespaces): on restart
	// it is filled from the newest snapshot and the WAL.
	Store *store.Store

	// Name, PeerURLs and ClientURLs describe this member; Name and ClientURLs are published
	// as its attributes after every start.
	Name       string
	PeerURLs   []string
	ClientURLs []string

	// MemberDir is <data-dir>/member; the WAL lives in MemberDir/wal unless WALDir is set,
	// snapshots in MemberDir/snap.
	MemberDir string
	WALDir    string

	// Bootstrap describes the cluster to create when the data dir holds no WAL; it is
	// ignored on restart.
	Bootstrap Bootstrap

	TickInterval   time.Duration // heartbeat interval: one raft tick
	ElectionTicks  int           // election timeout in ticks
	HeartbeatTicks int           // heartbeat in ticks (normally 1)

	// SnapshotCount is the number of applied entries between snapshots.
	SnapshotCount uint64
	// CatchUpEntries is how many entries the in-memory raft log keeps behind the applied
	// index (up to a quarter more between compactions) for slow followers; one further
	// behind gets a snapshot.
	CatchUpEntries uint64
	MaxSnapshots   int // snapshot files to keep (0 = all)
	MaxWALs        int // WAL files to keep (0 = all)

	// SweepInterval is how often the leader checks for expired keys (SPEC §2.8: 500 ms).
	SweepInterval time.Duration
	// StrictReconfigCheck refuses membership changes that could cost the quorum.
	StrictReconfigCheck bool

	// ClusterVersion is what the leader records under /0/version on a new cluster.
	ClusterVersion string

	// Transport carries raft messages to peers. Nil means the built-in HTTP transport
	// (raft/transport), whose handler PeerHandler returns; tests pass fakes.
	Transport Transport
	// PeerTLS is the client TLS configuration for https peer URLs.
	PeerTLS *tls.Config

	// ForceNewCluster makes a restarted member commit a configuration in which it is the
	// only member (SPEC §8.2), keeping its data.
	ForceNewCluster bool
	// Now is the wall clock (sweeps, request IDs, member add times). Defaults to time.Now.
	Now func() time.Time
}

// Bootstrap is the membership a new cluster starts with.
type Bootstrap struct {
	MemberID  members.ID
	ClusterID members.ID
	Members   []members.Member // initial members (names and peer URLs), IDs set
	// Existing means this member joins a running cluster (--initial-cluster-state
	// existing): it starts raft without peers and learns the membership from the leader.
	Existing bool
}

func (c *Config) walDir() string {
	if c.WALDir != "" {
		return c.WALDir
	}
	return filepath.Join(c.MemberDir, "wal")
}

func (c *Config) snapDir() string { return filepath.Join(c.MemberDir, "snap") }

// ErrInvalidConfig reports a Config that cannot work.
var ErrInvalidConfig = errors.New("raft: invalid config")

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return fmt.Errorf("%w: no store", ErrInvalidConfig)
	case c.MemberDir == "":
		return fmt.Errorf("%w: no member dir", ErrInvalidConfig)
	case c.TickInterval <= 0:
		return fmt.Errorf("%w: tick interval must be positive", ErrInvalidConfig)
	case c.HeartbeatTicks <= 0 || c.ElectionTicks <= c.HeartbeatTicks:
		return fmt.Errorf("%w: election ticks (%d) must exceed heartbeat ticks (%d)",
			ErrInvalidConfig, c.ElectionTicks, c.HeartbeatTicks)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 500 * time.Millisecond
	}
	if c.CatchUpEntries == 0 {
		c.CatchUpEntries = 5000
	}
	if c.SnapshotCount == 0 {
		c.SnapshotCount = 100000
	}
	if c.ClusterVersion == "" {
		c.ClusterVersion = "3.4.0"
	}
	return nil
}
