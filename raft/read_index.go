package raft

import (
	"context"
	"encoding/binary"
	"sync"
	"time"

	etcdraft "go.etcd.io/raft/v3"
)

// readIndexer serves linearizable reads with raft's ReadIndex: no log entry is written
// (the reference writes quorum GETs to the log). All reads that arrive while a round is
// under way share the next round, so a burst of quorum reads costs one heartbeat round
// trip, not one each.
type readIndexer struct {
	n        *Node
	mu       sync.Mutex
	waiting  []chan error // reads queued for the next round
	signalc  chan struct{}
	statec   chan etcdraft.ReadState
	nextCtx  uint64
	deadline time.Duration
}

func newReadIndexer(n *Node) *readIndexer {
	return &readIndexer{
		n:       n,
		signalc: make(chan struct{}, 1),
		statec:  make(chan etcdraft.ReadState, 16),
		// A round that gets no answer in this time is abandoned with a timeout: the
		// cluster has no leader or no quorum.
		deadline: 5*time.Second + 2*n.electionTimeout(),
	}
}

// LinearizableRead returns once the local store reflects every write committed before
// the call, or with ErrTimeout/ErrStopped/ctx's error.
func (n *Node) LinearizableRead(ctx context.Context) error {
	ch := make(chan error, 1)
	r := n.reads
	r.mu.Lock()
	r.waiting = append(r.waiting, ch)
	r.mu.Unlock()
	select {
	case r.signalc <- struct{}{}:
	default: // a round is already signalled
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return contextErr(ctx)
	case <-n.donec:
		return n.stoppedErr()
	}
}

// deliver is called by the Ready loop with the answers raft produced.
func (r *readIndexer) deliver(states []etcdraft.ReadState) {
	for _, s := range states {
		select {
		case r.statec <- s:
		default:
			// Only the newest round matters and the loop drains promptly; dropping an
			// answer just means that round retries.
		}
	}
}

// loop runs rounds until the member stops.
func (r *readIndexer) loop() {
	for {
		select {
		case <-r.signalc:
		case <-r.n.stopc:
			r.finish(r.take(), ErrStopped)
			return
		}
		batch := r.take()
		if len(batch) == 0 {
			continue
		}
		r.finish(batch, r.round())
	}
}

func (r *readIndexer) take() []chan error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.waiting
	r.waiting = nil
	return b
}

func (r *readIndexer) finish(batch []chan error, err error) {
	for _, ch := range batch {
		ch <- err // buffered; the reader may have left
	}
}

// round asks raft for a read index and waits until the store has applied up to it.
// Without a leader raft drops the request silently, so it is re-sent after every
// election timeout until the round's deadline.
func (r *readIndexer) round() error {
	r.nextCtx++
	rctx := binary.BigEndian.AppendUint64(nil, r.nextCtx)
	deadline := time.NewTimer(r.deadline)
	defer deadline.Stop()
	retry := time.NewTicker(r.n.electionTimeout())
	defer retry.Stop()

	if err := r.n.node.ReadIndex(context.Background(), rctx); err != nil {
		return ErrStopped
	}
	for {
		select {
		case s := <-r.statec:
			if string(s.RequestCtx) != string(rctx) {
				continue // an answer to an abandoned round
			}
			select {
			case <-r.n.applyWait.wait(s.Index):
				return nil
			case <-deadline.C:
				return ErrTimeout
			case <-r.n.stopc:
				return ErrStopped
			}
		case <-retry.C:
			if err := r.n.node.ReadIndex(context.Background(), rctx); err != nil {
				return ErrStopped
			}
		case <-deadline.C:
			return ErrTimeout
		case <-r.n.stopc:
			return ErrStopped
		}
	}
}
