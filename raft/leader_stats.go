package raft

import (
	"time"

	"github.com/etcd2/etcd2/members"
)

// Follower latency for /v2/stats/leader is the heartbeat round trip: the time from
// sending a heartbeat to a follower to receiving its response. Only the latest send per
// follower is kept; a response to an older heartbeat just measures a little long.

func (n *Node) recordHeartbeatSent(to uint64) {
	n.hbMu.Lock()
	n.hbSent[to] = time.Now()
	n.hbMu.Unlock()
}

func (n *Node) recordHeartbeatResp(from uint64) {
	n.hbMu.Lock()
	sent, ok := n.hbSent[from]
	delete(n.hbSent, from)
	n.hbMu.Unlock()
	if ok && n.IsLeader() {
		n.leaderStats.Follower(members.ID(from).String()).Succ(time.Since(sent))
	}
}
