package raft

import (
	"context"
	"time"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/store"
)

// publishLoop publishes this member's name and client URLs through raft (an internal
// write, SPEC §2.10) after every start, makes the leader record the cluster version on a
// new cluster, and then declares the member ready to serve.
func (n *Node) publishLoop() {
	attrs := members.AttributesCommand(n.id, n.cfg.Name, n.cfg.ClientURLs)
	for !n.tryInternal(attrs, "publish member attributes") {
		if n.stopping() {
			return
		}
	}
	n.lg.Info().Str("name", n.cfg.Name).Strs("client_urls", n.cfg.ClientURLs).
		Msg("published local member to cluster")

	for n.cluster.Version() == "" {
		if n.IsLeader() {
			n.tryInternal(members.VersionCommand(n.cfg.ClusterVersion), "set cluster version")
			continue
		}
		changed := n.leaderChange()
		t := time.NewTimer(n.cfg.TickInterval)
		select {
		case <-changed:
		case <-t.C:
		case <-n.stopc:
			t.Stop()
			return
		}
		t.Stop()
	}
	close(n.readyc)
}

// tryInternal proposes an internal write once, with the reference's request timeout.
func (n *Node) tryInternal(cmd *store.Command, what string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second+2*n.electionTimeout())
	defer cancel()
	_, err := n.Do(withStop(ctx, n.stopc), cmd)
	if err != nil && !n.stopping() {
		n.lg.Warn().Err(err).Msg(what + " failed; retrying")
	}
	return err == nil
}

func (n *Node) stopping() bool {
	select {
	case <-n.stopc:
		return true
	default:
		return false
	}
}
