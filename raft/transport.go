package raft

import (
	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/members"
)

// Transport carries raft messages between members; raft/transport implements it over
// HTTP, tests use fakes.
type Transport interface {
	// Send queues messages for delivery; it must not block the Ready loop.
	Send(msgs []raftpb.Message)
	AddPeer(id uint64, peerURLs []string)
	RemovePeer(id uint64)
	UpdatePeer(id uint64, peerURLs []string)
}

// transportRaft is what the built-in transport delivers to: the node, with removal
// checks by raw ID.
type transportRaft struct{ *Node }

func (t transportRaft) IsRemoved(id uint64) bool { return t.cluster.IsRemoved(members.ID(id)) }
