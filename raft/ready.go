package raft

import (
	"context"
	"errors"
	"fmt"
	"time"

	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/wal"
)

// run is the Ready loop: the only goroutine that writes the WAL and applies entries.
func (n *Node) run() {
	defer close(n.donec)
	defer n.shutdown()
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			n.node.Tick()
		case rd := <-n.node.Ready():
			if err := n.handleReady(rd); err != nil {
				n.lg.Error().Err(err).Msg("stopping member")
				n.fail(err)
				return
			}
		case <-n.disk.storage.wantc:
			// Between two Readys every applied entry is in the log storage, as a
			// snapshot at the applied index needs.
			if err := n.snapshotOnDemand(); err != nil {
				n.lg.Error().Err(err).Msg("stopping member")
				n.fail(err)
				return
			}
		case <-n.stopc:
			return
		}
	}
}

// shutdown releases what the Ready loop owns, once it has exited.
func (n *Node) shutdown() {
	if n.peerTr != nil {
		n.peerTr.Stop()
	}
	n.node.Stop()
	if err := n.disk.wal.Close(); err != nil {
		n.lg.Error().Err(err).Msg("closing WAL")
	}
	n.lg.Info().Uint64("applied_index", n.applied).Msg("raft member stopped")
}

// handleReady processes one Ready in the order STYLE §2 prescribes.
func (n *Node) handleReady(rd etcdraft.Ready) error {
	if rd.SoftState != nil {
		n.updateSoftState(rd.SoftState)
	}
	if !etcdraft.IsEmptyHardState(rd.HardState) {
		n.term.Store(rd.HardState.Term)
	}
	if len(rd.ReadStates) > 0 {
		n.reads.deliver(rd.ReadStates)
	}

	// A leader may send its appends before writing them to its own disk: it counts itself
	// toward a quorum only through its own raft state, which advances after the write
	// (raft thesis §10.2.1). Followers must persist before they acknowledge anything.
	leader := n.IsLeader()
	if leader {
		n.send(rd.Messages)
	}

	// Committed entries are durable on a quorum already, so they are applied before this
	// Ready's own WAL write: their callers then do not also wait for an fsync of entries
	// that are not theirs (with sync storage writes raft may hand the same entry in both
	// lists; it is committed either way). Snapshots and configuration changes keep the
	// strict order below.
	early := etcdraft.IsEmptySnap(rd.Snapshot) && allNormal(rd.CommittedEntries)
	if early {
		if err := n.applyEntries(rd.CommittedEntries); err != nil {
			return err
		}
	}

	if !etcdraft.IsEmptySnap(rd.Snapshot) {
		// Snapshot file before its WAL record: a record without a file cannot be
		// recovered; a file without a record is ignored at start.
		if err := n.disk.snapshotter.SaveSnap(rd.Snapshot); err != nil {
			return fmt.Errorf("raft: save received snapshot: %w", err)
		}
		if err := n.disk.wal.SaveSnapshot(walSnapshot(rd.Snapshot)); err != nil {
			return fmt.Errorf("raft: record received snapshot: %w", err)
		}
	}
	if !etcdraft.IsEmptyHardState(rd.HardState) || len(rd.Entries) > 0 {
		start := time.Now()
		if err := n.disk.wal.Save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
			return fmt.Errorf("raft: save to WAL: %w", err)
		}
		if rd.MustSync {
			n.metrics.walSyncs.Add(1)
		}
		n.metrics.walEntries.Add(uint64(len(rd.Entries)))
		if took := time.Since(start); took > time.Second {
			n.lg.Warn().Dur("took", took).Int("entries", len(rd.Entries)).Msg("slow WAL save")
		}
	}
	if !etcdraft.IsEmptySnap(rd.Snapshot) {
		if err := n.disk.storage.ApplySnapshot(rd.Snapshot); err != nil {
			return fmt.Errorf("raft: apply snapshot to log storage: %w", err)
		}
		if err := n.installSnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	if err := n.disk.storage.Append(rd.Entries); err != nil {
		return fmt.Errorf("raft: append to log storage: %w", err)
	}
	if !leader {
		n.send(rd.Messages)
	}

	if !early {
		if err := n.applyEntries(rd.CommittedEntries); err != nil {
			return err
		}
	}
	// After the append: a snapshot at the applied index needs the entries in the storage.
	if err := n.maybeSnapshot(); err != nil {
		return err
	}
	if err := n.compactLog(); err != nil {
		return err
	}
	n.node.Advance()
	// After Advance: raft only lets a member campaign once it knows the conf changes
	// above were applied.
	n.maybeCampaignAlone()
	return nil
}

// allNormal reports whether ents holds no configuration change.
func allNormal(ents []raftpb.Entry) bool {
	for i := range ents {
		if ents[i].Type != raftpb.EntryNormal {
			return false
		}
	}
	return true
}

// maybeCampaignAlone makes the only voter of a one-member cluster campaign at once instead
// of waiting out an election timeout: nobody else can win, and a restart then serves
// reads about a second sooner. It runs after apply because a restarted member learns its
// configuration by applying the conf changes in its log.
func (n *Node) maybeCampaignAlone() {
	if n.campaigned || n.lead.Load() != 0 {
		return
	}
	v := n.confState.Voters
	if len(v) != 1 || v[0] != uint64(n.id) || len(n.confState.Learners) != 0 {
		return
	}
	n.campaigned = true
	// Campaign is served by upstream raft's own goroutine, which keeps accepting messages
	// while it waits for this Ready to be advanced.
	if err := n.node.Campaign(context.Background()); err != nil {
		n.lg.Warn().Err(err).Msg("campaign failed")
	}
}

func walSnapshot(s raftpb.Snapshot) wal.Snapshot {
	return wal.Snapshot{Index: s.Metadata.Index, Term: s.Metadata.Term}
}

// send hands messages to the transport. A snapshot message carries the current
// configuration: entries applied after the snapshot was taken may have changed it.
func (n *Node) send(msgs []raftpb.Message) {
	if len(msgs) == 0 {
		return
	}
	for i := range msgs {
		switch msgs[i].Type {
		case raftpb.MsgSnap:
			msgs[i].Snapshot.Metadata.ConfState = n.confState
		case raftpb.MsgApp:
			n.serverStats.SendAppendReq(msgs[i].Size())
		case raftpb.MsgHeartbeat:
			n.recordHeartbeatSent(msgs[i].To)
		}
	}
	n.transport.Send(msgs)
}

// updateSoftState records leader and role, and wakes whoever waits for a leader change.
func (n *Node) updateSoftState(ss *etcdraft.SoftState) {
	n.raftState.Store(uint32(ss.RaftState))
	old := n.lead.Swap(ss.Lead)
	n.serverStats.SetState(ss.RaftState.String(), ss.Lead)
	if old == ss.Lead {
		return
	}
	n.metrics.leaderChanges.Add(1)
	if ss.Lead == etcdraft.None {
		n.lg.Info().Msg("lost leader")
	} else {
		n.lg.Info().Str("leader", fmt.Sprintf("%x", ss.Lead)).Uint64("term", n.term.Load()).
			Bool("is_leader", ss.RaftState == etcdraft.StateLeader).Msg("leader elected")
	}
	if ss.RaftState == etcdraft.StateLeader {
		n.leaderStats.Reset()
	}
	n.leaderMu.Lock()
	close(n.leaderChanged)
	n.leaderChanged = make(chan struct{})
	n.leaderMu.Unlock()
}

// installSnapshot replaces the state machine with a snapshot received from the leader.
func (n *Node) installSnapshot(snap raftpb.Snapshot) error {
	if snap.Metadata.Index <= n.applied {
		return fmt.Errorf("raft: snapshot index %d is not past applied index %d",
			snap.Metadata.Index, n.applied)
	}
	if err := n.st.Recover(snap.Data); err != nil {
		return fmt.Errorf("raft: recover store from received snapshot: %w", err)
	}
	old := n.cluster.Members()
	if err := n.cluster.Recover(n.st); err != nil {
		return err
	}
	n.syncPeers(old)
	n.confState = snap.Metadata.ConfState
	n.snapshotIndex, n.snapshotTerm = snap.Metadata.Index, snap.Metadata.Term
	n.setApplied(snap.Metadata.Index)
	n.lg.Info().Uint64("index", snap.Metadata.Index).Uint64("term", snap.Metadata.Term).
		Msg("installed snapshot from leader")
	return nil
}

// maybeSnapshot saves a snapshot once enough entries were applied since the last one.
func (n *Node) maybeSnapshot() error {
	if n.applied-n.snapshotIndex <= n.cfg.SnapshotCount {
		return nil
	}
	return n.saveSnapshot("snapshot-count")
}

// snapshotOnDemand saves a snapshot at the applied index when raft asked for one to send
// to a follower and the stored one is older than the compacted log (logStorage.Snapshot).
// The request may be outdated by now: a periodic snapshot, or one received from a new
// leader, may have replaced the stored snapshot since.
func (n *Node) snapshotOnDemand() error {
	if !n.disk.storage.stale() || n.applied <= n.snapshotIndex {
		return nil
	}
	return n.saveSnapshot("follower-catch-up")
}

// saveSnapshot saves a snapshot of the store at the applied index, then releases the WAL
// behind it and applies the retention limits.
func (n *Node) saveSnapshot(reason string) error {
	start := time.Now()
	data, err := n.st.Save()
	if err != nil {
		return fmt.Errorf("raft: save store: %w", err)
	}
	snap, err := n.disk.storage.CreateSnapshot(n.applied, &n.confState, data)
	if err != nil {
		return fmt.Errorf("raft: create snapshot: %w", err)
	}
	// File first, then the WAL record (see handleReady).
	if err := n.disk.snapshotter.SaveSnap(snap); err != nil {
		return fmt.Errorf("raft: save snapshot: %w", err)
	}
	if err := n.disk.wal.SaveSnapshot(walSnapshot(snap)); err != nil {
		return fmt.Errorf("raft: record snapshot: %w", err)
	}
	n.snapshotIndex, n.snapshotTerm = snap.Metadata.Index, snap.Metadata.Term
	if err := n.disk.wal.ReleaseTo(snap.Metadata.Index); err != nil {
		return fmt.Errorf("raft: release WAL: %w", err)
	}
	if err := n.disk.wal.Purge(n.cfg.MaxWALs); err != nil {
		n.lg.Warn().Err(err).Msg("purging old WAL files")
	}
	if err := n.disk.snapshotter.Purge(n.cfg.MaxSnapshots); err != nil {
		n.lg.Warn().Err(err).Msg("purging old snapshots")
	}
	n.lg.Info().Uint64("index", snap.Metadata.Index).Uint64("term", snap.Metadata.Term).
		Str("reason", reason).Int("bytes", len(data)).Dur("took", time.Since(start)).
		Msg("saved snapshot")
	return nil
}

// compactLog drops log entries from memory so about CatchUpEntries stay behind the
// applied index, whether or not a snapshot covers them: a member's memory then does not
// grow with --snapshot-count. The WAL keeps them until the next snapshot, so a restart
// still replays from the newest snapshot. A follower that falls further behind gets a
// snapshot made for it (snapshotOnDemand).
func (n *Node) compactLog() error {
	s := n.disk.storage
	keep := n.cfg.CatchUpEntries
	slack := max(keep/4, 1)
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	pinned := s.pinned.Load()
	if pinned != 0 && compactTarget(first, last, n.applied, keep, slack, 0) > pinned &&
		n.applied >= n.pinCheckedAt+slack {
		// The pin holds compaction back: drop it once no active follower still needs the
		// entries after it. Status is a round trip to raft's goroutine, hence the spacing.
		n.pinCheckedAt = n.applied
		if n.followersPast(pinned) {
			s.unpin(pinned)
			pinned = s.pinned.Load()
		}
	}
	to := compactTarget(first, last, n.applied, keep, slack, pinned)
	if to == 0 {
		return nil
	}
	if err := s.Compact(to); err != nil && !errors.Is(err, etcdraft.ErrCompacted) {
		return fmt.Errorf("raft: compact log: %w", err)
	}
	return nil
}

// followersPast reports whether every recently active follower has the entries up to
// index. A follower that went quiet will get a fresh snapshot when it returns; a member
// that does not lead tracks no followers.
func (n *Node) followersPast(index uint64) bool {
	for id, pr := range n.node.Status().Progress {
		if id != uint64(n.id) && pr.RecentActive && pr.Match < index {
			return false
		}
	}
	return true
}
