package store

import "time"

// Action is the "action" field of an event.
type Action string

// The actions of SPEC §2.3.
const (
	ActionGet              Action = "get"
	ActionSet              Action = "set"
	ActionCreate           Action = "create"
	ActionUpdate           Action = "update"
	ActionDelete           Action = "delete"
	ActionCompareAndSwap   Action = "compareAndSwap"
	ActionCompareAndDelete Action = "compareAndDelete"
	ActionExpire           Action = "expire"
)

// Event is the result of an operation and what watchers receive. Events are shared between
// the caller, the history and every watcher: treat them as read-only.
type Event struct {
	Action   Action
	Node     *NodeExtern
	PrevNode *NodeExtern
	// EtcdIndex is X-Etcd-Index: the event's own index for writes, the store index for
	// reads.
	EtcdIndex uint64
	// Refresh marks a refresh (SPEC §2.9): kept in history, skipped by replay, never
	// notified, never serialized.
	Refresh bool
}

// Index returns the index the event happened at (its node's modifiedIndex).
func (e *Event) Index() uint64 { return e.Node.ModifiedIndex }

// IsCreated reports whether a set or create made a new key, which the HTTP layer answers
// with 201: always for create, for set only when there was no previous node (a refresh-set
// always has one, so it answers 200, SPEC §2.9).
func (e *Event) IsCreated() bool {
	switch e.Action {
	case ActionCreate:
		return true
	case ActionSet:
		return e.PrevNode == nil && !e.Refresh
	}
	return false
}

// NodeExtern is a node as clients see it (SPEC §2.5).
type NodeExtern struct {
	Key string
	// Value is meaningful only when HasValue: files carry a value (possibly ""), directories
	// and the node of delete/compareAndDelete/expire events do not.
	Value    string
	HasValue bool
	Dir      bool
	// Expiration is the absolute expire time in unix nanoseconds, 0 for a permanent node.
	Expiration int64
	// TTL is the remaining lifetime in whole seconds, rounded up, computed from the store's
	// Clock when the NodeExtern was built; 0 (omitted on the wire) for permanent nodes.
	TTL           int64
	Nodes         []*NodeExtern
	ModifiedIndex uint64
	CreatedIndex  uint64
}

// ExpirationTime returns Expiration as a UTC time, and false for a permanent node.
func (n *NodeExtern) ExpirationTime() (time.Time, bool) {
	if n.Expiration == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, n.Expiration).UTC(), true
}

// ttlAt returns the display TTL of a node expiring at exp (unix ns, non-zero) seen at now:
// the remaining time in seconds, rounded up when the remainder is positive and truncated
// toward zero otherwise (SPEC §2.5). time.Time.Sub saturates, as the reference's does, so a
// far-past expiration shows -9223372036.
func ttlAt(exp int64, now time.Time) int64 {
	d := time.Unix(0, exp).Sub(now)
	ttl := d / time.Second
	if d%time.Second > 0 {
		ttl++
	}
	return int64(ttl)
}
