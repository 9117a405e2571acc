// Package store is the etcd v2 key tree: directories and files with created and modified
// indexes and optional expire times, a min-heap of expiring nodes, a ring of recent events,
// the watcher hub, the /v2/stats/store counters, and JSON save and recover of the whole
// state. It knows nothing of HTTP, Raft, files or logging.
//
// Invariants:
//   - Apply is the only mutator besides Recover. Every successful mutation, including a
//     refresh and each expired node, advances the store index by exactly one and makes
//     exactly one event, so the history holds consecutive indexes. A failed command
//     changes nothing but its fail counter.
//   - Apply is deterministic. Expire times and sweep times come in the commands; the Clock
//     is read only to display remaining TTLs. Expiry order is (expire time, key).
//   - Every node with an expire time is in the TTL heap, and only those; a node leaves the
//     heap when it, or a directory above it, leaves the tree.
//   - Events are shared by the caller, the history and the watchers and are never modified
//     after Apply returns.
//   - Apply never blocks on a watcher: a full stream watcher is ended with
//     ErrWatcherOverflow.
//
// Concurrency: one goroutine applies; Get, AppendGetJSON, Watch, Stats and the other
// readers may run concurrently with it and with each other.
package store
