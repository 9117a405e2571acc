package raft

import "go.etcd.io/raft/v3/raftpb"

// Transport carries raft messages between members. The peer transport of a multi-member
// cluster implements it; a one-member cluster needs none.
type Transport interface {
	// Send queues messages for delivery; it must not block the Ready loop.
	Send(msgs []raftpb.Message)
	AddPeer(id uint64, peerURLs []string)
	RemovePeer(id uint64)
	UpdatePeer(id uint64, peerURLs []string)
}

type nopTransport struct{}

func (nopTransport) Send([]raftpb.Message)       {}
func (nopTransport) AddPeer(uint64, []string)    {}
func (nopTransport) RemovePeer(uint64)           {}
func (nopTransport) UpdatePeer(uint64, []string) {}
