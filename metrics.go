package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/etcd2/etcd2/raft"
)

// raftCollector exposes the member's raft counters under the reference's metric names
// (SPEC §5), read at scrape time.
type raftCollector struct {
	node                                                  *raft.Node
	hasLeader, isLeader, leaderChanges                    *prometheus.Desc
	committed, applied, pending, failed, raftTerm, raftIx *prometheus.Desc
	walSyncs, walEntries                                  *prometheus.Desc
	activePeers                                           *prometheus.Desc
}

func newRaftCollector(node *raft.Node) *raftCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, nil, nil)
	}
	return &raftCollector{
		node:          node,
		hasLeader:     d("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not."),
		isLeader:      d("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise."),
		leaderChanges: d("etcd_server_leader_changes_seen_total", "The number of leader changes seen."),
		committed:     d("etcd_server_proposals_committed_total", "The total number of consensus proposals committed."),
		applied:       d("etcd_server_proposals_applied_total", "The total number of consensus proposals applied."),
		pending:       d("etcd_server_proposals_pending", "The current number of pending proposals to commit."),
		failed:        d("etcd_server_proposals_failed_total", "The total number of failed proposals seen."),
		raftTerm:      d("etcd2_raft_term", "The current raft term."),
		raftIx:        d("etcd2_raft_applied_index", "The raft index of the last applied entry."),
		walSyncs:      d("etcd2_wal_fsyncs_total", "WAL fsyncs made for new entries or raft state."),
		walEntries:    d("etcd2_wal_entries_total", "Entries written to the WAL; divided by etcd2_wal_fsyncs_total, the batch size."),
		activePeers: prometheus.NewDesc("etcd_network_active_peers", "The current number of active peer connections.",
			[]string{"Local", "Remote"}, nil),
	}
}

func (c *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hasLeader, c.isLeader, c.leaderChanges, c.committed, c.applied, c.pending, c.failed, c.raftTerm, c.raftIx, c.walSyncs, c.walEntries, c.activePeers} {
		ch <- d
	}
}

func (c *raftCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.node.Metrics()
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	ch <- prometheus.MustNewConstMetric(c.hasLeader, prometheus.GaugeValue, b(m.HasLeader))
	ch <- prometheus.MustNewConstMetric(c.isLeader, prometheus.GaugeValue, b(m.IsLeader))
	ch <- prometheus.MustNewConstMetric(c.leaderChanges, prometheus.CounterValue, float64(m.LeaderChanges))
	ch <- prometheus.MustNewConstMetric(c.committed, prometheus.CounterValue, float64(m.ProposalsCommitted))
	ch <- prometheus.MustNewConstMetric(c.applied, prometheus.CounterValue, float64(m.ProposalsApplied))
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(m.ProposalsPending))
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(m.ProposalsFailed))
	ch <- prometheus.MustNewConstMetric(c.raftTerm, prometheus.GaugeValue, float64(c.node.Term()))
	ch <- prometheus.MustNewConstMetric(c.raftIx, prometheus.GaugeValue, float64(c.node.AppliedIndex()))
	ch <- prometheus.MustNewConstMetric(c.walSyncs, prometheus.CounterValue, float64(m.WALSyncs))
	ch <- prometheus.MustNewConstMetric(c.walEntries, prometheus.CounterValue, float64(m.WALEntries))
	local := c.node.ID().String()
	for id, active := range c.node.PeerActivity() {
		ch <- prometheus.MustNewConstMetric(c.activePeers, prometheus.GaugeValue, b(active), local, id.String())
	}
}
