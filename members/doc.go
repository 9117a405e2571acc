// Package members holds cluster membership: member and cluster IDs derived exactly as the
// reference derives them (SPEC §2.10), the initial cluster flags and their checks
// (SPEC §8.2), and the membership set, which lives in the replicated store under /0 so
// that it is part of every snapshot and every membership change consumes a store index.
//
// The store commands this package builds are applied by the raft layer when it applies a
// committed entry; Cluster is a read-only view rebuilt from the store after such writes.
package members
