package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"

	"go.etcd.io/raft/v3/raftpb"
)

// Snapshot file layout (doc.go describes it for operators).
const (
	snapMagic      = "etcd2snp"
	snapVersion    = 1
	snapHeaderSize = 24 // magic, version, crc, length
	snapSuffix     = ".snap"
)

// snapName is the file name of a snapshot: raft term, then raft index.
func snapName(term, index uint64) string {
	return fmt.Sprintf("%016x-%016x%s", term, index, snapSuffix)
}

// parseSnapName accepts exactly the names snapName produces.
func parseSnapName(name string) (term, index uint64, ok bool) {
	base, ok := strings.CutSuffix(name, snapSuffix)
	if !ok || len(base) != 33 || base[16] != '-' {
		return 0, 0, false
	}
	term, err1 := parseHex16(base[:16])
	index, err2 := parseHex16(base[17:])
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return term, index, true
}

// encodeSnapFile returns the bytes of a snapshot file.
func encodeSnapFile(snap *raftpb.Snapshot) ([]byte, error) {
	n := snap.Size()
	b := make([]byte, snapHeaderSize+n)
	if _, err := snap.MarshalToSizedBuffer(b[snapHeaderSize:]); err != nil {
		return nil, fmt.Errorf("wal: encode snapshot: %w", err)
	}
	copy(b[0:8], snapMagic)
	binary.LittleEndian.PutUint32(b[8:12], snapVersion)
	binary.LittleEndian.PutUint32(b[12:16], crc32.Checksum(b[snapHeaderSize:], castagnoli))
	binary.LittleEndian.PutUint64(b[16:24], uint64(n))
	return b, nil
}

// decodeSnapFile checks and decodes the bytes of a snapshot file. Every failure wraps
// ErrSnapshotCorrupt.
func decodeSnapFile(b []byte) (raftpb.Snapshot, error) {
	var snap raftpb.Snapshot
	switch {
	case len(b) < snapHeaderSize:
		return snap, fmt.Errorf("%w: %d bytes is shorter than the header", ErrSnapshotCorrupt, len(b))
	case string(b[0:8]) != snapMagic:
		return snap, fmt.Errorf("%w: bad magic", ErrSnapshotCorrupt)
	case binary.LittleEndian.Uint32(b[8:12]) != snapVersion:
		return snap, fmt.Errorf("%w: unknown version %d", ErrSnapshotCorrupt, binary.LittleEndian.Uint32(b[8:12]))
	}
	payload := b[snapHeaderSize:]
	if n := binary.LittleEndian.Uint64(b[16:24]); n != uint64(len(payload)) {
		return snap, fmt.Errorf("%w: header says %d payload bytes, file has %d", ErrSnapshotCorrupt, n, len(payload))
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[12:16]) {
		return snap, fmt.Errorf("%w: crc mismatch", ErrSnapshotCorrupt)
	}
	if err := snap.Unmarshal(payload); err != nil {
		return snap, fmt.Errorf("%w: %v", ErrSnapshotCorrupt, err)
	}
	return snap, nil
}
