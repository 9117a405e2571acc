package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.etcd.io/raft/v3/raftpb"
)

// maxFrame bounds one framed message (raft's MaxSizePerMsg is 1 MiB; entries can make a
// message larger, never near this).
const maxFrame = 256 << 20

var errFrameTooLarge = errors.New("transport: frame too large")

// appendFrame appends m as one frame: 8-byte big-endian length, then the message.
func appendFrame(buf []byte, m *raftpb.Message) ([]byte, error) {
	size := m.Size()
	buf = binary.BigEndian.AppendUint64(buf, uint64(size))
	start := len(buf)
	buf = append(buf, make([]byte, size)...)
	if _, err := m.MarshalTo(buf[start:]); err != nil {
		return nil, fmt.Errorf("transport: marshal %s: %w", m.Type, err)
	}
	return buf, nil
}

// appendKeepAlive appends an empty frame.
func appendKeepAlive(buf []byte) []byte { return binary.BigEndian.AppendUint64(buf, 0) }

// readFrame reads one frame; ok is false for a keep-alive. scratch is reused when large
// enough; the returned message does not alias it (Unmarshal copies byte fields).
func readFrame(r io.Reader, scratch []byte, m *raftpb.Message) (ok bool, buf []byte, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return false, scratch, err
	}
	n := binary.BigEndian.Uint64(hdr[:])
	if n == 0 {
		return false, scratch, nil
	}
	if n > maxFrame {
		return false, scratch, fmt.Errorf("%w: %d bytes", errFrameTooLarge, n)
	}
	if uint64(cap(scratch)) < n {
		scratch = make([]byte, n)
	}
	scratch = scratch[:n]
	if _, err := io.ReadFull(r, scratch); err != nil {
		return false, scratch, err
	}
	*m = raftpb.Message{}
	if err := m.Unmarshal(scratch); err != nil {
		return false, scratch, fmt.Errorf("transport: bad message: %w", err)
	}
	return true, scratch, nil
}
