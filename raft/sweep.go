package raft

import (
	"context"
	"time"

	"github.com/etcd2/etcd2/store"
)

// sweepLoop makes the leader expire TTL keys (SPEC §2.8). Every SweepInterval the leader
// checks the earliest expiration in its store and, when it is due, proposes a sweep
// carrying its own clock, so every replica expires exactly the same keys. The reference
// proposes a sweep every 500 ms whenever TTL keys exist; proposing only when one is due
// expires the same keys at the same moments and spares the log ([OURS], invisible to
// clients except through X-Raft-Index).
func (n *Node) sweepLoop() {
	t := time.NewTicker(n.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-n.stopc:
			return
		}
		if !n.IsLeader() {
			continue
		}
		next, ok := n.st.NextExpiration()
		now := n.cfg.Now().UnixNano()
		if !ok || next > now {
			continue
		}
		// Waiting for the sweep to apply keeps at most one in flight.
		ctx, cancel := context.WithTimeout(context.Background(), n.electionTimeout()+n.cfg.SweepInterval)
		_, err := n.Do(withStop(ctx, n.stopc), &store.Command{Op: store.OpExpire, Time: now})
		cancel()
		if err != nil && n.IsLeader() {
			n.lg.Warn().Err(err).Msg("TTL sweep did not apply")
		}
	}
}

// withStop returns a context that also ends when stopc closes.
func withStop(ctx context.Context, stopc <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-stopc:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx
}
