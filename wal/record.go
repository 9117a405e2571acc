package wal

import (
	"encoding/binary"
	"hash/crc32"
)

// recordType says what a record's data holds. The values are part of the on-disk format.
type recordType uint8

const (
	metadataType recordType = 1 // caller's opaque bytes, first record after the crc record
	entryType    recordType = 2 // raftpb.Entry, Marshal encoding
	stateType    recordType = 3 // raftpb.HardState, Marshal encoding
	crcType      recordType = 4 // carries the checksum chain into a segment; no data
	snapshotType recordType = 5 // snapshot marker: index and term, little-endian uint64s
)

func (t recordType) valid() bool { return t >= metadataType && t <= snapshotType }

// Frame layout (doc.go has the full description).
const (
	frameAlign    = 8              // every frame starts and ends on a multiple of 8
	headerSize    = 8              // length word: length, type, padding, header check
	frameOverhead = headerSize + 4 // header plus the chained record CRC
	maxDataSize   = 1<<32 - 1      // the length field is a uint32
	sectorSize    = 512            // unit the disk writes atomically
	snapshotSize  = 16             // data of a snapshot record
	chainedBytes  = 6              // header bytes covered by the record CRC
)

// castagnoli is the CRC-32C table. It is built once and never written again.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// padding returns how many zero bytes follow dataLen bytes of data to end the frame on an
// 8-byte boundary.
func padding(dataLen int) int {
	return (frameAlign - (frameOverhead+dataLen)%frameAlign) % frameAlign
}

// frameSize is the size on disk of a record holding dataLen bytes of data.
func frameSize(dataLen int) int { return frameOverhead + dataLen + padding(dataLen) }

// putHeader writes the length word of a frame into b[0:8].
func putHeader(b []byte, typ recordType, dataLen int) {
	binary.LittleEndian.PutUint32(b[0:4], uint32(dataLen))
	b[4] = byte(typ)
	b[5] = byte(padding(dataLen))
	binary.LittleEndian.PutUint16(b[6:8], headerCheck(b))
}

// headerCheck protects the length word itself, so a flipped length bit reads as
// corruption rather than as a record that runs past the end of the file (torn).
func headerCheck(hdr []byte) uint16 {
	return uint16(crc32.Checksum(hdr[:chainedBytes], castagnoli))
}

// parseHeader validates a length word. ok is false for anything putHeader cannot have
// written.
func parseHeader(hdr []byte) (typ recordType, dataLen int, ok bool) {
	n := binary.LittleEndian.Uint32(hdr[0:4])
	typ = recordType(hdr[4])
	if binary.LittleEndian.Uint16(hdr[6:8]) != headerCheck(hdr) || !typ.valid() {
		return 0, 0, false
	}
	if n > maxDataSize || int(hdr[5]) != padding(int(n%frameAlign)) {
		return 0, 0, false
	}
	return typ, int(n), true
}

// chainCRC extends the checksum chain over a record: its length, type and padding bytes,
// then its data.
func chainCRC(crc uint32, hdr, data []byte) uint32 {
	crc = crc32.Update(crc, castagnoli, hdr[:chainedBytes])
	return crc32.Update(crc, castagnoli, data)
}

// isZero reports whether b holds only zero bytes.
func isZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Snapshot is a snapshot marker record in the WAL: the raft index and term of a snapshot
// whose file was saved before the marker was written.
type Snapshot struct {
	Index uint64
	Term  uint64
}

func putSnapshot(b []byte, s Snapshot) {
	binary.LittleEndian.PutUint64(b[0:8], s.Index)
	binary.LittleEndian.PutUint64(b[8:16], s.Term)
}

func parseSnapshot(b []byte) (Snapshot, bool) {
	if len(b) != snapshotSize {
		return Snapshot{}, false
	}
	return Snapshot{Index: binary.LittleEndian.Uint64(b[0:8]), Term: binary.LittleEndian.Uint64(b[8:16])}, true
}
