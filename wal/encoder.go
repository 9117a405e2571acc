package wal

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"go.etcd.io/raft/v3/raftpb"
)

// flushThreshold bounds how much a single Save buffers before writing, so a large batch
// does not hold its whole encoding in memory.
const flushThreshold = 1 << 20

// encoder appends frames to a segment. Frames are built in buf, which is reused from call
// to call so that the append path does not allocate, and written with one write per
// flush.
type encoder struct {
	w   io.Writer
	buf []byte
	crc uint32 // chain value after the last encoded record
	off int64  // file offset where the next flushed byte lands
}

// reserve appends a frame for dataLen bytes of typ to buf and returns it; the caller fills
// the data and calls seal.
func (e *encoder) reserve(typ recordType, dataLen int) ([]byte, error) {
	if dataLen > maxDataSize {
		return nil, fmt.Errorf("wal: record of %d bytes exceeds the %d byte limit", dataLen, maxDataSize)
	}
	n := frameSize(dataLen)
	start := len(e.buf)
	e.buf = slices.Grow(e.buf, n)[:start+n]
	fr := e.buf[start : start+n]
	putHeader(fr, typ, dataLen)
	clear(fr[frameOverhead+dataLen:])
	return fr, nil
}

// seal chains the frame's checksum and stores it.
func (e *encoder) seal(fr []byte, dataLen int) {
	e.crc = chainCRC(e.crc, fr, fr[frameOverhead:frameOverhead+dataLen])
	binary.LittleEndian.PutUint32(fr[headerSize:frameOverhead], e.crc)
}

func (e *encoder) encodeBytes(typ recordType, data []byte) error {
	fr, err := e.reserve(typ, len(data))
	if err != nil {
		return err
	}
	copy(fr[frameOverhead:], data)
	e.seal(fr, len(data))
	return nil
}

// encodeCRC writes the record that opens a segment. It stores the chain value carried in
// from the previous segment and does not advance the chain.
func (e *encoder) encodeCRC() {
	fr, _ := e.reserve(crcType, 0) // zero-length data is always within the limit
	binary.LittleEndian.PutUint32(fr[headerSize:frameOverhead], e.crc)
}

// marshaler is what raftpb's generated types offer for encoding in place.
type marshaler interface {
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
}

// encodeMarshaler encodes m straight into the frame, without an intermediate buffer.
func (e *encoder) encodeMarshaler(typ recordType, m marshaler) error {
	n := m.Size()
	fr, err := e.reserve(typ, n)
	if err != nil {
		return err
	}
	if _, err := m.MarshalToSizedBuffer(fr[frameOverhead : frameOverhead+n]); err != nil {
		return fmt.Errorf("wal: encode record of type %d: %w", typ, err)
	}
	e.seal(fr, n)
	return nil
}

func (e *encoder) encodeEntry(ent *raftpb.Entry) error { return e.encodeMarshaler(entryType, ent) }

func (e *encoder) encodeState(hs *raftpb.HardState) error { return e.encodeMarshaler(stateType, hs) }

func (e *encoder) encodeSnapshot(s Snapshot) {
	fr, _ := e.reserve(snapshotType, snapshotSize)
	putSnapshot(fr[frameOverhead:], s)
	e.seal(fr, snapshotSize)
}

// buffered is the number of encoded bytes not yet written.
func (e *encoder) buffered() int { return len(e.buf) }

// flush writes the buffered frames. After a failed write the segment's contents are
// unknown; the WAL stops accepting writes.
func (e *encoder) flush() error {
	if len(e.buf) == 0 {
		return nil
	}
	n, err := e.w.Write(e.buf)
	e.off += int64(n)
	if err != nil {
		return fmt.Errorf("wal: write: %w", err)
	}
	if cap(e.buf) > 4*flushThreshold {
		e.buf = nil // do not pin the memory of one unusually large batch
	} else {
		e.buf = e.buf[:0]
	}
	return nil
}
