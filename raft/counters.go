package raft

import "sync/atomic"

// counters are the member's proposal and leadership counters, read by the metrics
// endpoint.
type counters struct {
	leaderChanges atomic.Uint64
	applied       atomic.Uint64
	failed        atomic.Uint64
	pending       atomic.Int64
	walSyncs      atomic.Uint64 // fdatasyncs of the WAL for new entries or hard state
	walEntries    atomic.Uint64 // entries written to the WAL
}

// Metrics is a point-in-time copy of the member's counters (reference metric names in
// SPEC §5: etcd_server_*).
type Metrics struct {
	HasLeader          bool
	IsLeader           bool
	LeaderChanges      uint64
	ProposalsCommitted uint64 // raft index of the last committed entry
	ProposalsApplied   uint64 // raft index of the last applied entry
	ProposalsPending   int64
	ProposalsFailed    uint64
	// WALSyncs and WALEntries show how well proposals share fsyncs: under concurrent
	// load, WALEntries/WALSyncs is the batch size.
	WALSyncs   uint64
	WALEntries uint64
}

// Metrics returns the member's counters.
func (n *Node) Metrics() Metrics {
	return Metrics{
		HasLeader:          n.lead.Load() != 0,
		IsLeader:           n.IsLeader(),
		LeaderChanges:      n.metrics.leaderChanges.Load(),
		ProposalsCommitted: n.committed.Load(),
		ProposalsApplied:   n.appliedA.Load(),
		ProposalsPending:   n.metrics.pending.Load(),
		ProposalsFailed:    n.metrics.failed.Load(),
		WALSyncs:           n.metrics.walSyncs.Load(),
		WALEntries:         n.metrics.walEntries.Load(),
	}
}
