// Package auth is the v2 authentication model (SPEC §6): users with bcrypt-hashed
// passwords, roles holding key read/write patterns, the built-in root and guest roles and
// the enabled flag.
//
// Its state lives in the replicated store next to the user key space, exactly where the
// reference keeps it, so every change is a raft proposal that consumes a store index, is
// applied by every member in the same order and survives snapshots and restarts:
//
//	/2                 directory
//	/2/users/<name>    {"user":…,"password":<bcrypt hash>,"roles":[…]}
//	/2/roles/<name>    {"role":…,"permissions":{"kv":{"read":[…],"write":[…]}}}
//	/2/enabled         "true" or "false"
//
// Like the reference, the directories and the flag are created by the first auth write a
// member serves (four creates, each consuming an index when it succeeds), not at bootstrap:
// the store indexes of a cluster that never uses auth are those of the reference, and so
// are the indexes after the first user is added.
//
// Invariants:
//   - Reads (authentication, listings) use the local store; a write that depends on what
//     it read (update, merge, enable) first makes the local store catch up with the
//     cluster (a linearizable read), then writes with compareAndSwap on the index it read
//     and starts over when another member changed the record in between.
//   - The root role is not stored: it always exists with read and write on "/*" and cannot
//     be created, changed or deleted. The user "root" always holds it.
//   - Passwords are only ever stored and compared as bcrypt hashes; a check for an unknown
//     user still runs one bcrypt comparison, so its timing does not reveal which users exist.
package auth
