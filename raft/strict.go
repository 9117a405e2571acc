package raft

import (
	"errors"

	"github.com/etcd2/etcd2/members"
)

// Errors of the strict reconfiguration check (--strict-reconfig-check). The HTTP layer
// answers them with 500 Internal Server Error, as the reference does (SPEC §4).
var (
	ErrNotEnoughStarted = errors.New("etcdserver: re-configuration failed due to not enough started members")
	ErrUnhealthy        = errors.New("etcdserver: unhealthy cluster")
)

// checkStrictAdd refuses an add that would leave fewer started members than a quorum of
// the grown cluster. A one-member cluster may always add a second member: that is how a
// cluster is grown from a restored backup, and it then waits for the new member to start.
func (n *Node) checkStrictAdd() error {
	if !n.cfg.StrictReconfigCheck {
		return nil
	}
	all := n.cluster.Members()
	started := 0
	for _, m := range all {
		if m.Name != "" {
			started++
		}
	}
	total := len(all) + 1
	if started == 1 && total == 2 {
		return nil
	}
	if started < total/2+1 {
		return ErrNotEnoughStarted
	}
	if !n.peersActive(all) {
		return ErrUnhealthy
	}
	return nil
}

// checkStrictRemove refuses a removal that would leave the remaining started members
// short of a quorum of the remaining cluster.
func (n *Node) checkStrictRemove(id members.ID) error {
	if !n.cfg.StrictReconfigCheck {
		return nil
	}
	total, started := 0, 0
	for _, m := range n.cluster.Members() {
		if m.ID == id {
			continue
		}
		total++
		if m.Name != "" {
			started++
		}
	}
	if started < total/2+1 {
		return ErrNotEnoughStarted
	}
	// With members down, removing one more must still leave a connected quorum. Like the
	// reference, assume the member being removed is one of the connected ones.
	all := n.cluster.Members()
	if active := n.activeCount(all); active-1 < 1+(len(all)-1)/2 {
		return ErrNotEnoughStarted
	}
	return nil
}

// activeCount counts this member plus the peers the transport reaches now.
func (n *Node) activeCount(all []members.Member) int {
	a, ok := n.transport.(interface{ Active(id uint64) bool })
	if !ok {
		return len(all)
	}
	count := 0
	for _, m := range all {
		if m.ID == n.id || a.Active(uint64(m.ID)) {
			count++
		}
	}
	return count
}

// peersActive reports whether the transport currently reaches every other member.
func (n *Node) peersActive(all []members.Member) bool {
	a, ok := n.transport.(interface{ Active(id uint64) bool })
	if !ok {
		return true
	}
	for _, m := range all {
		if m.ID != n.id && !a.Active(uint64(m.ID)) {
			return false
		}
	}
	return true
}

// PeerActivity reports, for every other member, whether the transport reaches it now (a
// connected stream from it). Without a transport that can tell, every peer counts as active.
func (n *Node) PeerActivity() map[members.ID]bool {
	all := n.cluster.Members()
	a, ok := n.transport.(interface{ Active(id uint64) bool })
	out := make(map[members.ID]bool, len(all))
	for _, m := range all {
		if m.ID != n.id {
			out[m.ID] = !ok || a.Active(uint64(m.ID))
		}
	}
	return out
}
