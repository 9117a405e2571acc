// Package wal is etcd2's write-ahead log and snapshot file store: the durable half of
// raft's state. Our raft package calls it from its Ready loop; wal knows nothing of the
// store or of raft beyond the raftpb types it writes.
//
// # Directory and segments
//
// A WAL is one directory of segment files named %016x-%016x.wal: the segment's sequence
// number, then the index of the first raft entry it may hold (one more than the last
// entry index written before it was cut). Sequence numbers have no holes. Create builds
// the directory under <dir>.tmp with the first segment
// 0000000000000000-0000000000000000.wal, syncs it and renames it into place, then syncs
// the parent: a crash leaves no WAL or a complete one.
//
// Segments are preallocated to Options.SegmentSize (64 000 000 bytes by default) with
// fallocate, or by extending the file where fallocate is unavailable, so the unused tail
// of the last segment reads as zeros. Once an append brings the tail segment to that
// size it is cut: truncated to its last record and synced, and a spare file prepared in
// the background (0.tmp or 1.tmp, already preallocated) receives the new segment's
// opening records, is synced, renamed to its segment name, and the directory is synced.
// Spares left by a stopped process are deleted by Open.
//
// # Frames
//
// A segment is a sequence of frames, each starting and ending on a multiple of 8 bytes.
// All integers are little-endian.
//
//	offset  size  field
//	0       4     data length L (at most 2^31-1)
//	4       1     record type
//	5       1     padding P: zero bytes after the data, (12+L+P) % 8 == 0
//	6       2     header check: low 16 bits of CRC-32C over bytes 0..5
//	8       4     record CRC (see below)
//	12      L     data
//	12+L    P     zero padding
//
// The first 8 bytes are the length word. Being 8-byte aligned it never straddles a
// sector, so it is written whole or not at all; the header check makes a damaged length
// word read as corruption rather than as a record that runs past the end of the file.
// A length word of eight zero bytes marks the end of the records in a segment.
//
// # Record types
//
//	1 metadata  the caller's opaque bytes (member ID and cluster ID)
//	2 entry     a raftpb.Entry in its Marshal encoding
//	3 state     a raftpb.HardState in its Marshal encoding
//	4 crc       no data; the CRC field carries the chain value into the segment
//	5 snapshot  snapshot marker: index then term, two uint64s (16 bytes)
//
// Every segment starts with a crc record followed by a metadata record (identical in
// all segments). A segment made by a cut then holds the hard state saved last, if any, so
// a replay that starts there has it. Entries, states and markers follow in the order they
// were saved; within one Save the entries precede the hard state.
//
// # CRC chain
//
// Checksums are CRC-32C (Castagnoli). The CRC of a record other than crc is
// crc32c.Update(prev, bytes 0..5 of its header ++ its data), where prev is the CRC of
// the record before it; it therefore covers every earlier record. A crc record stores
// prev unchanged and does not advance the chain. The first segment's crc record stores
// 0. A reader that continues from the previous segment requires the crc record to equal
// the chain value it ended with; a reader that starts in a segment (Open at a snapshot)
// takes the value as given.
//
// # Reading, end of log and repair
//
// Reading a segment stops cleanly at its end or at a zero length word followed only by
// zeros to the end of the file (the preallocated tail). Otherwise:
//
//   - A frame that runs past the end of the file, or whose CRC fails while at least one
//     512-byte sector it covers is all zeros, and after which the file holds only zeros,
//     is torn: the write of the last record was interrupted. In the last segment ReadAll
//     copies the segment to <name>.broken, truncates it where the torn frame starts,
//     extends it back to the segment size with zeros, syncs it and the directory, logs a
//     warning and continues. In any other segment it is ErrTornRecord.
//   - Anything else is refused with a one-line *CorruptionError naming the file and the
//     frame's offset: a CRC that fails (ErrCRCMismatch), a bad length word, non-zero
//     padding, data after a zero length word, a record that does not decode, a gap in the
//     entry indexes (ErrCorrupt), conflicting metadata (ErrMetadataConflict). Records after
//     damage may have been acknowledged, so they are never dropped silently.
//
// Replay returns the entries after the snapshot the WAL was opened at; an entry whose
// index is already in the replayed log replaces that entry and all after it, as raft
// truncated its log there.
//
// # Snapshot files
//
// The Snapshotter keeps raft snapshots in their own directory as %016x-%016x.snap (term,
// then index):
//
//	offset  size  field
//	0       8     magic "etcd2snp"
//	8       4     format version, 1
//	12      4     CRC-32C of the payload
//	16      8     payload length N
//	24      N     payload: raftpb.Snapshot in its Marshal encoding
//
// A file is written as <name>.tmp, synced, renamed and the directory synced. A file
// whose size, magic, version, CRC, encoding or metadata (term and index versus its name)
// is wrong is renamed <name>.broken when loading and an older one is tried.
//
// # Invariants
//
//   - One WAL value per directory: it holds an exclusive flock on the directory from
//     Create or Open until Close (ErrLocked otherwise, in this process or another).
//   - Appends go only to the last segment, after ReadAll (or Create); each Save writes
//     whole frames with one write call per megabyte and syncs when asked; SaveSnapshot
//     always syncs. A failed write or sync makes every later write fail.
//   - Every rename, creation and removal of a file in the directory is followed by a
//     sync of the directory.
//   - A snapshot file is saved before its WAL marker, and ValidSnapshotEntries only lists
//     markers at or below the last saved commit index: raft restarts only from a
//     snapshot it can replay.
//   - Segments are deleted only by Purge, oldest first, and only those before the last
//     segment whose first index is at most the index given to ReleaseTo, capped at the
//     newest snapshot marker: replay from that snapshot never needs them.
package wal
