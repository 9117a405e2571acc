package raft

import (
	"fmt"
	"slices"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/wal"
)

// forceNewCluster rewrites a restarted member's log so that it is the only member
// (--force-new-cluster, SPEC §8.2): uncommitted entries are dropped, and committed
// conf changes are appended that remove every other member and reset this member's peer
// URLs to the configured ones. The data is kept. It returns the entries and hard state
// raft should restart from.
func forceNewCluster(cfg *Config, w *wal.WAL, self members.ID, snap raftpb.Snapshot, hs raftpb.HardState, ents []raftpb.Entry) (raftpb.HardState, []raftpb.Entry, error) {
	// Entries past the commit index may never have been agreed on; a one-member cluster
	// must not commit them behind everybody's back.
	for len(ents) > 0 && ents[len(ents)-1].Index > hs.Commit {
		ents = ents[:len(ents)-1]
	}
	ids := voters(snap.Metadata.ConfState, ents)
	next := hs.Commit + 1
	if len(ents) > 0 {
		next = ents[len(ents)-1].Index + 1
	} else if snap.Metadata.Index >= next {
		next = snap.Metadata.Index + 1
	}
	var added []raftpb.Entry
	add := func(cc raftpb.ConfChange) error {
		cc.ID = 0 // nobody waits for these
		data, err := cc.Marshal()
		if err != nil {
			return err
		}
		added = append(added, raftpb.Entry{Type: raftpb.EntryConfChange, Term: hs.Term, Index: next, Data: data})
		next++
		return nil
	}
	me := members.Member{ID: self, Name: cfg.Name, PeerURLs: cfg.PeerURLs}
	ctx := encodeConfContext(me)
	// A member whose ID is not a voter (a backup copy gets a new ID) is added before the
	// others go: raft refuses a configuration without voters.
	isVoter := slices.Contains(ids, uint64(self))
	if !isVoter {
		if err := add(raftpb.ConfChange{Type: raftpb.ConfChangeAddNode, NodeID: uint64(self), Context: ctx}); err != nil {
			return hs, nil, err
		}
	}
	removed := 0
	for _, id := range ids {
		if id == uint64(self) {
			continue
		}
		if err := add(raftpb.ConfChange{Type: raftpb.ConfChangeRemoveNode, NodeID: id}); err != nil {
			return hs, nil, err
		}
		removed++
	}
	if isVoter {
		if err := add(raftpb.ConfChange{Type: raftpb.ConfChangeUpdateNode, NodeID: uint64(self), Context: ctx}); err != nil {
			return hs, nil, err
		}
	}
	hs.Commit = added[len(added)-1].Index
	if err := w.Save(hs, added, true); err != nil {
		return hs, nil, fmt.Errorf("raft: force new cluster: %w", err)
	}
	cfg.Logger.Warn().Str("member_id", self.String()).Int("removed_members", removed).
		Uint64("commit_index", hs.Commit).Msg("forcing a new one-member cluster from the existing data")
	return hs, append(ents, added...), nil
}

// voters returns the voting members after the snapshot's configuration and the conf
// changes in ents.
func voters(cs raftpb.ConfState, ents []raftpb.Entry) []uint64 {
	set := map[uint64]bool{}
	for _, id := range cs.Voters {
		set[id] = true
	}
	for _, e := range ents {
		if e.Type != raftpb.EntryConfChange {
			continue
		}
		var cc raftpb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			continue
		}
		switch cc.Type {
		case raftpb.ConfChangeAddNode:
			set[cc.NodeID] = true
		case raftpb.ConfChangeRemoveNode:
			delete(set, cc.NodeID)
		}
	}
	ids := make([]uint64, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
