package raft

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/raft/transport"
	"github.com/etcd2/etcd2/stats"
	"github.com/etcd2/etcd2/store"
)

// Node is one running member: the upstream raft node plus everything around it.
type Node struct {
	cfg       Config
	lg        zerolog.Logger
	st        *store.Store
	node      etcdraft.Node
	disk      *diskState
	transport Transport
	peerTr    *transport.Transport // the built-in transport, nil when cfg.Transport was given
	cluster   *members.Cluster

	id        members.ID
	clusterID members.ID
	reqIDs    *reqIDGenerator
	waits     *waitRegistry
	applyWait indexWait
	reads     *readIndexer

	// Written by the Ready loop, read by anyone.
	lead      atomic.Uint64
	raftState atomic.Uint32
	term      atomic.Uint64
	committed atomic.Uint64
	appliedA  atomic.Uint64

	// Owned by the Ready loop.
	applied       uint64
	snapshotIndex uint64
	snapshotTerm  uint64
	confState     raftpb.ConfState
	campaigned    bool   // maybeCampaignAlone ran
	pinCheckedAt  uint64 // applied index when compactLog last asked raft about followers

	leaderMu      sync.Mutex
	leaderChanged chan struct{} // closed and replaced at every leader change

	hbMu   sync.Mutex
	hbSent map[uint64]time.Time // last heartbeat sent to each follower

	serverStats *stats.ServerStats
	leaderStats *stats.LeaderStats
	metrics     counters

	readyc   chan struct{} // closed when the member has published itself
	stopc    chan struct{}
	donec    chan struct{} // closed when the Ready loop has exited
	stopOnce sync.Once
	wg       sync.WaitGroup
	errMu    sync.Mutex
	err      error
}

// Start opens (or creates) the member's data dir, restores the store from the newest
// snapshot and the WAL, and starts raft. It returns once the loops run; Ready tells when
// the member has published itself and may serve clients.
func Start(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ds, err := openDisk(&cfg)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg:           cfg,
		lg:            cfg.Logger.With().Str("component", "raft").Logger(),
		st:            cfg.Store,
		disk:          ds,
		transport:     cfg.Transport,
		id:            ds.memberID,
		clusterID:     ds.clusterID,
		waits:         newWaitRegistry(),
		leaderChanged: make(chan struct{}),
		hbSent:        map[uint64]time.Time{},
		readyc:        make(chan struct{}),
		stopc:         make(chan struct{}),
		donec:         make(chan struct{}),
	}
	n.reqIDs = newReqIDGenerator(uint64(n.id), cfg.Now())
	n.reads = newReadIndexer(n)
	n.serverStats = stats.NewServerStats(cfg.Name, n.id.String(), cfg.Now)
	n.leaderStats = stats.NewLeaderStats(n.id.String())

	if ds.restarted && cfg.Bootstrap.MemberID != 0 && cfg.Bootstrap.MemberID != ds.memberID {
		// Restart ignores --initial-* (SPEC §8.2); a mismatch only deserves a note.
		n.lg.Warn().Str("member_id", ds.memberID.String()).
			Str("configured_member_id", cfg.Bootstrap.MemberID.String()).
			Msg("data dir was written by another member identity; using the data dir's")
	}
	if err := n.restoreState(); err != nil {
		ds.wal.Close()
		return nil, err
	}
	if n.transport == nil {
		n.peerTr = transport.New(transport.Config{
			ID: uint64(n.id), ClusterID: uint64(n.clusterID), Raft: transportRaft{n},
			Logger: cfg.Logger, TLS: cfg.PeerTLS, OnRemoved: func() { n.fail(ErrRemoved) },
		})
		n.transport = n.peerTr
	}

	rc := &etcdraft.Config{
		ID:              uint64(n.id),
		ElectionTick:    cfg.ElectionTicks,
		HeartbeatTick:   cfg.HeartbeatTicks,
		Storage:         ds.storage,
		Applied:         n.applied,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 512,
		CheckQuorum:     true,
		PreVote:         true,
		Logger:          raftLogger{l: n.lg},
	}
	switch {
	case ds.restarted:
		n.node = etcdraft.RestartNode(rc)
	case cfg.Bootstrap.Existing:
		// Joining a running cluster: the leader sends the membership and the log.
		n.node = etcdraft.RestartNode(rc)
	default:
		peers, err := bootstrapPeers(cfg.Bootstrap.Members)
		if err != nil {
			ds.wal.Close()
			return nil, err
		}
		n.node = etcdraft.StartNode(rc, peers)
	}
	peers := n.cluster.Members()
	if cfg.Bootstrap.Existing && !ds.restarted {
		// A joining member learns the membership from the log; until then it needs the
		// running members' addresses to answer the leader at all.
		peers = cfg.Bootstrap.Members
	}
	for _, m := range peers {
		if m.ID != n.id {
			n.transport.AddPeer(uint64(m.ID), m.PeerURLs)
		}
	}
	n.lg.Info().Str("member_id", n.id.String()).Str("cluster_id", n.clusterID.String()).
		Bool("restarted", ds.restarted).Uint64("applied_index", n.applied).
		Uint64("snapshot_index", n.snapshotIndex).Msg("starting raft member")

	n.goAttach(n.run)
	n.goAttach(n.reads.loop)
	n.goAttach(n.sweepLoop)
	n.goAttach(n.publishLoop)
	return n, nil
}

// restoreState rebuilds the store and the membership view from the loaded snapshot.
func (n *Node) restoreState() error {
	snap := n.disk.snapshot
	if !etcdraft.IsEmptySnap(snap) {
		if err := n.st.Recover(snap.Data); err != nil {
			return fmt.Errorf("raft: recover store from snapshot %d: %w", snap.Metadata.Index, err)
		}
		n.applied = snap.Metadata.Index
		n.snapshotIndex = snap.Metadata.Index
		n.snapshotTerm = snap.Metadata.Term
		n.confState = snap.Metadata.ConfState
	}
	n.appliedA.Store(n.applied)
	n.committed.Store(n.applied)
	n.applyWait.trigger(n.applied)
	n.cluster = members.NewCluster(n.clusterID)
	return n.cluster.Recover(n.st)
}

func (n *Node) goAttach(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// Stop stops the member and waits for its goroutines. It is idempotent. Callers stop
// serving clients first so in-flight writes finish (main's shutdown order).
func (n *Node) Stop() {
	n.stopOnce.Do(func() { close(n.stopc) })
	n.wg.Wait()
}

// Done is closed when the member has stopped, by Stop or by a fatal error (see Err).
func (n *Node) Done() <-chan struct{} { return n.donec }

// Err reports why the member stopped on its own (nil after Stop).
func (n *Node) Err() error {
	n.errMu.Lock()
	defer n.errMu.Unlock()
	return n.err
}

// fail records a fatal error and stops the member.
func (n *Node) fail(err error) {
	n.errMu.Lock()
	if n.err == nil {
		n.err = err
	}
	n.errMu.Unlock()
	n.stopOnce.Do(func() { close(n.stopc) })
}

// Ready is closed once this member has published its attributes and the cluster version
// is known: from then on it serves clients.
func (n *Node) Ready() <-chan struct{} { return n.readyc }

// ID is this member's ID.
func (n *Node) ID() members.ID { return n.id }

// ClusterID is the cluster's ID.
func (n *Node) ClusterID() members.ID { return n.clusterID }

// Leader is the current leader's ID, 0 when unknown.
func (n *Node) Leader() members.ID { return members.ID(n.lead.Load()) }

// IsLeader reports whether this member leads.
func (n *Node) IsLeader() bool { return etcdraft.StateType(n.raftState.Load()) == etcdraft.StateLeader }

// Term is the current raft term.
func (n *Node) Term() uint64 { return n.term.Load() }

// CommittedIndex is the raft index of the last committed entry (X-Raft-Index).
func (n *Node) CommittedIndex() uint64 { return n.committed.Load() }

// AppliedIndex is the raft index of the last applied entry.
func (n *Node) AppliedIndex() uint64 { return n.appliedA.Load() }

// Do proposes cmd and waits until it is applied locally, returning the store's result.
// If ctx ends first the caller stops waiting, but the command may still commit.
func (n *Node) Do(ctx context.Context, cmd *store.Command) (*store.Event, error) {
	id := n.reqIDs.id()
	// The buffer is handed to raft, which keeps it in its log: it cannot be pooled.
	data := encodeEntry(make([]byte, 0, 32+len(cmd.Key)+len(cmd.Value)+len(cmd.PrevValue)), id, cmd)
	ch := n.waits.register(id)
	n.metrics.pending.Add(1)
	defer n.metrics.pending.Add(-1)
	if err := n.propose(ctx, data); err != nil {
		n.waits.cancel(id)
		n.metrics.failed.Add(1)
		return nil, err
	}
	select {
	case r := <-ch:
		return r.ev, r.err
	case <-ctx.Done():
		n.waits.cancel(id)
		n.metrics.failed.Add(1)
		return nil, contextErr(ctx)
	case <-n.donec:
		n.waits.cancel(id)
		return nil, n.stoppedErr()
	}
}

// propose hands data to raft. Without a leader raft drops proposals at once; during an
// election the caller waits for the next leader instead, bounded by its deadline, so a
// client sees a slow write rather than an error.
func (n *Node) propose(ctx context.Context, data []byte) error {
	for {
		changed := n.leaderChange()
		err := n.node.Propose(ctx, data)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, etcdraft.ErrProposalDropped):
		case errors.Is(err, etcdraft.ErrStopped):
			return n.stoppedErr()
		case ctx.Err() != nil:
			return contextErr(ctx)
		default:
			return err
		}
		retry := time.NewTimer(n.electionTimeout())
		select {
		case <-changed:
		case <-retry.C:
		case <-ctx.Done():
			retry.Stop()
			return contextErr(ctx)
		case <-n.donec:
			retry.Stop()
			return n.stoppedErr()
		}
		retry.Stop()
	}
}

func (n *Node) stoppedErr() error {
	if errors.Is(n.Err(), ErrRemoved) {
		return ErrRemoved
	}
	return ErrStopped
}

func (n *Node) electionTimeout() time.Duration {
	return time.Duration(n.cfg.ElectionTicks) * n.cfg.TickInterval
}

// leaderChange returns a channel closed at the next leader change.
func (n *Node) leaderChange() <-chan struct{} {
	n.leaderMu.Lock()
	defer n.leaderMu.Unlock()
	return n.leaderChanged
}

// Process hands a message from a peer to raft (the peer transport's inbound side).
func (n *Node) Process(ctx context.Context, m raftpb.Message) error {
	if n.cluster.IsRemoved(members.ID(m.From)) {
		return fmt.Errorf("raft: message from removed member %s", members.ID(m.From))
	}
	switch m.Type {
	case raftpb.MsgApp:
		n.serverStats.RecvAppendReq(members.ID(m.From).String(), m.Size())
	case raftpb.MsgHeartbeatResp:
		n.recordHeartbeatResp(m.From)
	}
	return n.node.Step(ctx, m)
}

// ReportUnreachable and ReportSnapshot let the transport tell raft about delivery failures.
func (n *Node) ReportUnreachable(id uint64) {
	if n.IsLeader() {
		n.leaderStats.Follower(members.ID(id).String()).Fail()
	}
	n.node.ReportUnreachable(id)
}

// ReportSnapshot reports the outcome of sending a snapshot to member id.
func (n *Node) ReportSnapshot(id uint64, status etcdraft.SnapshotStatus) {
	n.node.ReportSnapshot(id, status)
}

// PeerHandler serves the built-in transport's endpoints (mount under /raft/ on the peer
// listener); nil when a custom Transport was configured.
func (n *Node) PeerHandler() http.Handler {
	if n.peerTr == nil {
		return nil
	}
	return n.peerTr.Handler()
}

// SelfStats is the /v2/stats/self body.
func (n *Node) SelfStats() []byte { return n.serverStats.JSON() }

// LeaderStats is the /v2/stats/leader body; ok is false on a member that does not lead.
func (n *Node) LeaderStats() (body []byte, ok bool) {
	if !n.IsLeader() {
		return nil, false
	}
	return n.leaderStats.JSON(), true
}
