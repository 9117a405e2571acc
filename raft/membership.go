package raft

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/store"
)

// clusterPrefix is the store namespace of membership records and the cluster version.
const clusterPrefix = "/0"

// confContext is the Context of a ConfChange entry: the member it adds or updates. It is
// raft-internal (our members only ever read it from our own log).
type confContext struct {
	ID       uint64   `json:"id"`
	Name     string   `json:"name,omitempty"`
	PeerURLs []string `json:"peerURLs"`
}

func encodeConfContext(m members.Member) []byte {
	b, err := json.Marshal(confContext{ID: uint64(m.ID), Name: m.Name, PeerURLs: m.PeerURLs})
	if err != nil {
		panic(err) // strings and a number always marshal
	}
	return b
}

func decodeConfContext(b []byte) (members.Member, error) {
	var c confContext
	if err := json.Unmarshal(b, &c); err != nil {
		return members.Member{}, fmt.Errorf("raft: bad conf change context: %w", err)
	}
	return members.Member{ID: members.ID(c.ID), Name: c.Name, PeerURLs: c.PeerURLs}, nil
}

// bootstrapPeers turns the initial membership into the peers raft writes as its first
// ConfChange entries.
func bootstrapPeers(ms []members.Member) ([]etcdraft.Peer, error) {
	if len(ms) == 0 {
		return nil, fmt.Errorf("%w: no initial members", ErrInvalidConfig)
	}
	peers := make([]etcdraft.Peer, 0, len(ms))
	for _, m := range ms {
		peers = append(peers, etcdraft.Peer{ID: uint64(m.ID), Context: encodeConfContext(m)})
	}
	return peers, nil
}

// Members lists the cluster's members sorted by ID.
func (n *Node) Members() []members.Member { return n.cluster.Members() }

// ClusterVersion is the agreed cluster version, "" until the leader recorded it.
func (n *Node) ClusterVersion() string { return n.cluster.Version() }

// IsRemoved reports whether member id was removed from the cluster.
func (n *Node) IsRemoved(id members.ID) bool { return n.cluster.IsRemoved(id) }

// refreshCluster reloads the membership view after an entry wrote under /0.
func (n *Node) refreshCluster() {
	old := n.cluster.Members()
	if err := n.cluster.Recover(n.st); err != nil {
		// The records were just written by apply; failing to read them back is a bug.
		panic(fmt.Sprintf("raft: reload membership: %v", err))
	}
	n.syncPeers(old)
}

// syncPeers tells the transport about peers that appeared, changed or went away.
func (n *Node) syncPeers(old []members.Member) {
	before := make(map[members.ID]members.Member, len(old))
	for _, m := range old {
		before[m.ID] = m
	}
	for _, m := range n.cluster.Members() {
		if m.ID == n.id {
			delete(before, m.ID)
			continue
		}
		prev, ok := before[m.ID]
		delete(before, m.ID)
		switch {
		case !ok:
			n.transport.AddPeer(uint64(m.ID), m.PeerURLs)
		case !equalStrings(prev.PeerURLs, m.PeerURLs):
			n.transport.UpdatePeer(uint64(m.ID), m.PeerURLs)
		}
	}
	for id := range before {
		if id != n.id {
			n.transport.RemovePeer(uint64(id))
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// applyConfChange applies a committed membership change: raft's configuration first, then
// the member records in the store (which consume store indexes, as in the reference).
func (n *Node) applyConfChange(e *raftpb.Entry) error {
	var cc raftpb.ConfChange
	if err := cc.Unmarshal(e.Data); err != nil {
		panic(fmt.Sprintf("raft: entry %d: undecodable conf change: %v", e.Index, err))
	}
	m, verr := n.checkConfChange(cc)
	if verr != nil {
		// Raft must still see the entry applied; NodeID None makes it a no-op.
		cc.NodeID = etcdraft.None
		n.confState = *n.node.ApplyConfChange(cc)
		n.waits.trigger(cc.ID, result{err: verr})
		return nil
	}
	n.confState = *n.node.ApplyConfChange(cc)
	old := n.cluster.Members()
	var cmds []*store.Command
	switch cc.Type {
	case raftpb.ConfChangeAddNode, raftpb.ConfChangeAddLearnerNode:
		cmds = members.AddCommands(m)
	case raftpb.ConfChangeRemoveNode:
		cmds = members.RemoveCommands(members.ID(cc.NodeID))
	case raftpb.ConfChangeUpdateNode:
		cmds = members.UpdateCommands(m)
	}
	for _, c := range cmds {
		if _, err := n.st.Apply(c); err != nil {
			panic(fmt.Sprintf("raft: entry %d: membership record %s: %v", e.Index, c.Key, err))
		}
	}
	if err := n.cluster.Recover(n.st); err != nil {
		panic(fmt.Sprintf("raft: reload membership: %v", err))
	}
	n.syncPeers(old)
	n.lg.Info().Str("change", cc.Type.String()).Str("member_id", members.ID(cc.NodeID).String()).
		Uint64("index", e.Index).Msg("applied membership change")
	n.waits.trigger(cc.ID, result{})
	if cc.Type == raftpb.ConfChangeRemoveNode && members.ID(cc.NodeID) == n.id {
		n.lg.Warn().Str("member_id", n.id.String()).Msg("this member was removed from the cluster; stopping")
		n.fail(ErrRemoved)
	}
	return nil
}

// checkConfChange validates a committed change against the current membership; every
// replica reaches the same verdict because they apply the same log.
func (n *Node) checkConfChange(cc raftpb.ConfChange) (members.Member, error) {
	id := members.ID(cc.NodeID)
	var m members.Member
	if cc.Type == raftpb.ConfChangeAddNode || cc.Type == raftpb.ConfChangeAddLearnerNode ||
		cc.Type == raftpb.ConfChangeUpdateNode {
		var err error
		if m, err = decodeConfContext(cc.Context); err != nil {
			panic(fmt.Sprintf("raft: %v", err))
		}
		if m.ID != id {
			panic(fmt.Sprintf("raft: conf change for %s carries member %s", id, m.ID))
		}
	}
	switch cc.Type {
	case raftpb.ConfChangeAddNode, raftpb.ConfChangeAddLearnerNode:
		return m, n.cluster.ValidateAdd(m)
	case raftpb.ConfChangeRemoveNode:
		return m, n.cluster.ValidateRemove(id)
	case raftpb.ConfChangeUpdateNode:
		return m, n.cluster.ValidateUpdate(m)
	}
	return m, fmt.Errorf("raft: unsupported conf change %s", cc.Type)
}

// proposeConfChange proposes cc and waits until it is applied.
func (n *Node) proposeConfChange(ctx context.Context, cc raftpb.ConfChange) error {
	cc.ID = n.reqIDs.id()
	ch := n.waits.register(cc.ID)
	for {
		changed := n.leaderChange()
		err := n.node.ProposeConfChange(ctx, cc)
		if err == nil {
			break
		}
		if !errors.Is(err, etcdraft.ErrProposalDropped) {
			n.waits.cancel(cc.ID)
			if ctx.Err() != nil {
				return contextErr(ctx)
			}
			return err
		}
		select {
		case <-changed:
		case <-time.After(n.electionTimeout()):
		case <-ctx.Done():
			n.waits.cancel(cc.ID)
			return contextErr(ctx)
		}
	}
	select {
	case r := <-ch:
		return r.err
	case <-ctx.Done():
		n.waits.cancel(cc.ID)
		return contextErr(ctx)
	case <-n.donec:
		n.waits.cancel(cc.ID)
		return n.stoppedErr()
	}
}

// AddMember adds a member with the given peer URLs. Its ID mixes in the time of the add
// (SPEC §2.10), so re-adding the same URLs later yields a new ID.
func (n *Node) AddMember(ctx context.Context, peerURLs []string) (members.Member, error) {
	m, err := members.NewAddedMember(peerURLs, n.cfg.Now())
	if err != nil {
		return members.Member{}, err
	}
	if err := n.cluster.ValidateAdd(m); err != nil {
		return members.Member{}, err
	}
	if err := n.checkStrictAdd(); err != nil {
		return members.Member{}, err
	}
	cc := raftpb.ConfChange{Type: raftpb.ConfChangeAddNode, NodeID: uint64(m.ID), Context: encodeConfContext(m)}
	if err := n.proposeConfChange(ctx, cc); err != nil {
		return members.Member{}, err
	}
	return m, nil
}

// RemoveMember removes member id.
func (n *Node) RemoveMember(ctx context.Context, id members.ID) error {
	if err := n.cluster.ValidateRemove(id); err != nil {
		return err
	}
	if err := n.checkStrictRemove(id); err != nil {
		return err
	}
	return n.proposeConfChange(ctx, raftpb.ConfChange{Type: raftpb.ConfChangeRemoveNode, NodeID: uint64(id)})
}

// UpdateMember replaces the peer URLs of member id.
func (n *Node) UpdateMember(ctx context.Context, id members.ID, peerURLs []string) error {
	cur, ok := n.cluster.Member(id)
	if !ok {
		if n.cluster.IsRemoved(id) {
			return members.ErrIDRemoved
		}
		return members.ErrIDNotFound
	}
	m := members.Member{ID: id, Name: cur.Name, PeerURLs: peerURLs}
	if err := n.cluster.ValidateUpdate(m); err != nil {
		return err
	}
	cc := raftpb.ConfChange{Type: raftpb.ConfChangeUpdateNode, NodeID: uint64(id), Context: encodeConfContext(m)}
	return n.proposeConfChange(ctx, cc)
}
