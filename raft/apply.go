package raft

import (
	"fmt"
	"strings"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/store"
)

// applyEntries applies committed entries in log order and wakes their callers.
func (n *Node) applyEntries(ents []raftpb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	if first := ents[0].Index; first > n.applied+1 {
		// Raft hands entries contiguously after the applied index; a gap means the log
		// and the state machine disagree, and applying on would diverge from the cluster.
		panic(fmt.Sprintf("raft: first committed entry %d leaves a gap after applied %d", first, n.applied))
	}
	for i := range ents {
		e := &ents[i]
		if e.Index <= n.applied {
			continue // already in the store (a restart replays from the snapshot index)
		}
		switch e.Type {
		case raftpb.EntryNormal:
			n.applyNormal(e)
		case raftpb.EntryConfChange:
			if err := n.applyConfChange(e); err != nil {
				return err
			}
		}
		if e.Index > n.committed.Load() {
			n.committed.Store(e.Index)
		}
		n.applied = e.Index
	}
	n.setApplied(n.applied)
	return nil
}

func (n *Node) setApplied(index uint64) {
	n.applied = index
	n.appliedA.Store(index)
	if index > n.committed.Load() {
		n.committed.Store(index)
	}
	n.applyWait.trigger(index)
}

// applyNormal applies one normal entry. Empty entries are the no-ops new leaders append.
func (n *Node) applyNormal(e *raftpb.Entry) {
	if len(e.Data) == 0 {
		return
	}
	var cmd store.Command
	id, err := decodeEntry(e.Data, &cmd)
	if err != nil {
		// Every replica committed these bytes; skipping them would make this one diverge.
		panic(fmt.Sprintf("raft: entry %d: %v", e.Index, err))
	}
	ev, err := n.st.Apply(&cmd)
	n.metrics.applied.Add(1)
	if strings.HasPrefix(cmd.Key, clusterPrefix) {
		n.refreshCluster()
	}
	n.waits.trigger(id, result{ev: ev, err: err})
}
