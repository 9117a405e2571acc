package wal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// errTorn reports a record that was being written when the writer stopped: it runs past
// the end of the file, or some of its sectors are still zero, and nothing but zeros
// follows it. Only the caller knows whether the segment is the last one, where this is
// repaired, or an earlier one, where it is corruption.
var errTorn = errors.New("wal: torn record")

// record is one decoded record. data is valid until the next call to decoder.next.
type record struct {
	typ  recordType
	data []byte
	off  int64 // offset of the frame in its segment
}

// decoder reads the frames of one segment and checks the checksum chain.
type decoder struct {
	path    string
	ra      io.ReaderAt
	size    int64
	r       *bufio.Reader
	off     int64  // offset of the next frame
	crc     uint32 // chain value after the last record
	chained bool   // crc is known: the first crc record must match it
	count   int    // records decoded from this segment
	hdr     [frameOverhead]byte
	buf     []byte
}

// newDecoder decodes the size bytes of ra as a segment. When chained is true, crc is the
// chain value the previous segment ended with and the segment's crc record must carry it.
func newDecoder(path string, ra io.ReaderAt, size int64, crc uint32, chained bool) *decoder {
	return &decoder{
		path:    path,
		ra:      ra,
		size:    size,
		r:       bufio.NewReaderSize(io.NewSectionReader(ra, 0, size), int(min(64<<10, max(size, 16)))),
		crc:     crc,
		chained: chained,
	}
}

// next returns the next record, io.EOF at the clean end of the segment, errTorn for a torn
// tail, or a *CorruptionError.
func (d *decoder) next() (record, error) {
	off := d.off
	rest := d.size - off
	if rest == 0 {
		return record{}, io.EOF
	}
	if rest < headerSize {
		// A length word never tears (it is 8-byte aligned inside one sector), so a
		// partial one means the file itself was cut short.
		return d.endOfData(off, "short frame header")
	}
	if _, err := io.ReadFull(d.r, d.hdr[:headerSize]); err != nil {
		return record{}, fmt.Errorf("wal: read %s at offset %d: %w", d.path, off, err)
	}
	if isZero(d.hdr[:headerSize]) {
		// The preallocated tail: the log ends here if nothing but zeros follows.
		return d.endOfData(off, "zero frame header followed by data")
	}
	typ, n, ok := parseHeader(d.hdr[:headerSize])
	if !ok {
		return record{}, corruptAt(d.path, off, ErrCorrupt, "bad frame header")
	}
	size := int64(frameSize(n))
	if size > rest {
		return record{}, errTorn
	}
	if d.count == 0 && typ != crcType {
		return record{}, corruptAt(d.path, off, ErrCorrupt, "segment does not start with a crc record")
	}
	if d.count > 0 && typ == crcType {
		return record{}, corruptAt(d.path, off, ErrCorrupt, "crc record inside a segment")
	}
	body := int(size) - headerSize
	if cap(d.buf) < body {
		d.buf = make([]byte, body)
	}
	buf := d.buf[:body]
	if _, err := io.ReadFull(d.r, buf); err != nil {
		return record{}, fmt.Errorf("wal: read %s at offset %d: %w", d.path, off, err)
	}
	stored := binary.LittleEndian.Uint32(buf[:4])
	data := buf[4 : 4+n]
	if typ == crcType {
		if n != 0 {
			return record{}, corruptAt(d.path, off, ErrCorrupt, "crc record with data")
		}
		if d.chained && stored != d.crc {
			return record{}, corruptAt(d.path, off, ErrCRCMismatch, "segment does not continue the previous one")
		}
		d.crc, d.chained = stored, true
	} else {
		crc := chainCRC(d.crc, d.hdr[:], data)
		if crc != stored {
			return d.mismatch(off, size)
		}
		d.crc = crc
	}
	if !isZero(buf[4+n:]) {
		return record{}, corruptAt(d.path, off, ErrCorrupt, "non-zero padding")
	}
	d.off += size
	d.count++
	return record{typ: typ, data: data, off: off}, nil
}

// mismatch classifies a frame whose checksum fails. A write interrupted by a crash leaves
// whole sectors of the frame unwritten (zero, as the file was preallocated) and nothing
// after it; anything else is damage to data that was already on disk.
func (d *decoder) mismatch(off, size int64) (record, error) {
	if d.hasZeroSector(off, size) {
		zero, err := d.zeroFrom(off + size)
		if err != nil {
			return record{}, err
		}
		if zero {
			return record{}, errTorn
		}
	}
	return record{}, corruptAt(d.path, off, ErrCRCMismatch, "")
}

// endOfData ends the segment at off if only zeros follow, and reports corruption
// otherwise: records after a gap may have been acknowledged, so they are never dropped.
func (d *decoder) endOfData(off int64, detail string) (record, error) {
	zero, err := d.zeroFrom(off)
	if err != nil {
		return record{}, err
	}
	if !zero {
		if d.size-off < headerSize {
			return record{}, errTorn
		}
		return record{}, corruptAt(d.path, off, ErrCorrupt, detail)
	}
	return record{}, io.EOF
}

// hasZeroSector reports whether some sector-aligned piece of the frame at off is all
// zero bytes. The frame was read into d.buf (after the header, which is non-zero).
func (d *decoder) hasZeroSector(off, size int64) bool {
	body := d.buf[:size-headerSize]
	start := off + headerSize
	for pos := start; pos < off+size; {
		end := min((pos/sectorSize+1)*sectorSize, off+size)
		if isZero(body[pos-start : end-start]) {
			return true
		}
		pos = end
	}
	return false
}

// zeroFrom reports whether every byte from off to the end of the segment is zero.
func (d *decoder) zeroFrom(off int64) (bool, error) {
	chunk := min(256<<10, d.size-off)
	buf, zeros := make([]byte, chunk), make([]byte, chunk)
	for off < d.size {
		n := int(min(chunk, d.size-off))
		if _, err := d.ra.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("wal: read %s at offset %d: %w", d.path, off, err)
		}
		if !bytes.Equal(buf[:n], zeros[:n]) {
			return false, nil
		}
		off += int64(n)
	}
	return true, nil
}
