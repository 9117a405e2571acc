// Package raft drives one etcd2 member: it owns the upstream go.etcd.io/raft node, the
// Ready loop, the WAL and snapshot files, request IDs and the wait registry that hands
// apply results back to callers, TTL sweeps and the snapshot trigger.
//
// Invariants:
//   - The store is changed only by applying committed entries, in log order, on the
//     Ready-loop goroutine. Apply is deterministic: it reads no clock (sweeps carry the
//     leader's time), does no I/O and leaks no map order.
//   - A write is acknowledged only after its entry is durable in the WAL (fsynced when raft
//     says MustSync) and applied to the local store. A kill -9 at any instant therefore loses
//     no acknowledged write.
//   - A snapshot file is written before its WAL snapshot record: a record without a file
//     cannot be recovered; a file without a record is simply ignored.
//   - A caller that stops waiting (context done) does not cancel its command: it may still
//     commit and apply.
package raft
