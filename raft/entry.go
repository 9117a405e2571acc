package raft

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/etcd2/etcd2/store"
)

// Entry payload layout (EntryNormal data):
//
//	byte 0     format version (entryV1)
//	bytes 1-8  request ID, big-endian (0: nobody waits, e.g. TTL sweeps)
//	bytes 9-   store.Command in its binary encoding
//
// Empty data is the no-op entry a new leader appends; it is skipped by apply.
const (
	entryV1        = 1
	entryHeaderLen = 9
)

// errBadEntry marks a committed entry that cannot be decoded: a broken invariant.
var errBadEntry = errors.New("raft: undecodable entry")

// encodeEntry appends the payload for cmd with request ID id to buf.
func encodeEntry(buf []byte, id uint64, cmd *store.Command) []byte {
	buf = append(buf, entryV1)
	buf = binary.BigEndian.AppendUint64(buf, id)
	return cmd.AppendBinary(buf)
}

// decodeEntry parses a payload written by encodeEntry.
func decodeEntry(data []byte, cmd *store.Command) (id uint64, err error) {
	if len(data) < entryHeaderLen || data[0] != entryV1 {
		return 0, fmt.Errorf("%w: %d bytes, version %d", errBadEntry, len(data), firstByte(data))
	}
	id = binary.BigEndian.Uint64(data[1:entryHeaderLen])
	if err := cmd.UnmarshalBinary(data[entryHeaderLen:]); err != nil {
		return id, fmt.Errorf("%w: %w", errBadEntry, err)
	}
	return id, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}
