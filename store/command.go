package store

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Op is the operation of a Command.
type Op uint8

// The operations Apply knows. The HTTP layer decides the operation from the request
// (SPEC §2.3) before the command is proposed, so applying it needs no further routing.
const (
	OpSet Op = iota + 1
	OpCreate
	OpUpdate
	OpCompareAndSwap
	OpDelete
	OpCompareAndDelete
	OpExpire
)

var opNames = [...]string{
	OpSet:              "set",
	OpCreate:           "create",
	OpUpdate:           "update",
	OpCompareAndSwap:   "compareAndSwap",
	OpDelete:           "delete",
	OpCompareAndDelete: "compareAndDelete",
	OpExpire:           "expire",
}

// String returns the operation's name, which is also the action of the events it makes.
func (o Op) String() string {
	if o >= OpSet && o <= OpExpire {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Command is one replicated store mutation. Its times are absolute and were fixed by whoever
// built it, so every replica applying it reaches the same state.
type Command struct {
	Op    Op
	Key   string // full internal path; Apply cleans it
	Value string
	// Dir makes set/create build a directory (Value ignored).
	Dir bool
	// Unique makes OpCreate create the child <Key>/<20-digit new index> (POST).
	Unique bool
	// Expiration is the absolute expire time in unix nanoseconds; 0 = permanent. Set and
	// create also treat a time before 2000-01-01 UTC as permanent (SPEC §2.8); update and
	// compareAndSwap keep such a time, so the node expires at the next sweep (reference
	// behaviour, verified with ttl=99999999999).
	Expiration int64
	// Refresh, with OpSet/OpUpdate/OpCompareAndSwap, keeps the value and applies the TTL
	// only (SPEC §2.9).
	Refresh   bool
	PrevValue string // CAS/CAD condition ("" = none)
	PrevIndex uint64 // CAS/CAD condition (0 = none)
	Recursive bool   // delete
	Time      int64  // OpExpire: sweep time, unix nanoseconds
}

// Binary encoding, version 1:
//
//	byte 0    version (1)
//	byte 1    op
//	uvarint   flags (see flag* below; unknown bits are an error)
//	uvarint   len(Key), Key bytes
//	then, each only when its presence flag is set, in this order:
//	uvarint len + bytes Value; uvarint len + bytes PrevValue; uvarint PrevIndex;
//	varint Expiration; varint Time
//
// Nothing may follow the last field.
const commandV1 = 1

const (
	flagDir = 1 << iota
	flagUnique
	flagRefresh
	flagRecursive
	flagValue
	flagPrevValue
	flagPrevIndex
	flagExpiration
	flagTime
	flagAll = flagTime<<1 - 1
)

// AppendBinary appends the command's compact versioned encoding to buf.
func (c *Command) AppendBinary(buf []byte) []byte {
	var flags uint64
	set := func(cond bool, f uint64) {
		if cond {
			flags |= f
		}
	}
	set(c.Dir, flagDir)
	set(c.Unique, flagUnique)
	set(c.Refresh, flagRefresh)
	set(c.Recursive, flagRecursive)
	set(c.Value != "", flagValue)
	set(c.PrevValue != "", flagPrevValue)
	set(c.PrevIndex != 0, flagPrevIndex)
	set(c.Expiration != 0, flagExpiration)
	set(c.Time != 0, flagTime)

	buf = append(buf, commandV1, byte(c.Op))
	buf = binary.AppendUvarint(buf, flags)
	buf = appendBytesField(buf, c.Key)
	if flags&flagValue != 0 {
		buf = appendBytesField(buf, c.Value)
	}
	if flags&flagPrevValue != 0 {
		buf = appendBytesField(buf, c.PrevValue)
	}
	if flags&flagPrevIndex != 0 {
		buf = binary.AppendUvarint(buf, c.PrevIndex)
	}
	if flags&flagExpiration != 0 {
		buf = binary.AppendVarint(buf, c.Expiration)
	}
	if flags&flagTime != 0 {
		buf = binary.AppendVarint(buf, c.Time)
	}
	return buf
}

func appendBytesField(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// UnmarshalBinary decodes an encoding made by AppendBinary into c. Any malformed input is
// an error wrapping ErrBadCommand; it never panics and does not retain data.
func (c *Command) UnmarshalBinary(data []byte) error {
	d := decoder{data: data}
	if v := d.byte(); v != commandV1 {
		return fmt.Errorf("%w: version %d", ErrBadCommand, v)
	}
	op := Op(d.byte())
	flags := d.uvarint()
	if d.err != nil {
		return d.err
	}
	if op < OpSet || op > OpExpire {
		return fmt.Errorf("%w: unknown op %d", ErrBadCommand, op)
	}
	if flags&^flagAll != 0 {
		return fmt.Errorf("%w: unknown flags %#x", ErrBadCommand, flags)
	}
	*c = Command{
		Op:        op,
		Dir:       flags&flagDir != 0,
		Unique:    flags&flagUnique != 0,
		Refresh:   flags&flagRefresh != 0,
		Recursive: flags&flagRecursive != 0,
	}
	c.Key = d.string()
	if flags&flagValue != 0 {
		c.Value = d.string()
	}
	if flags&flagPrevValue != 0 {
		c.PrevValue = d.string()
	}
	if flags&flagPrevIndex != 0 {
		c.PrevIndex = d.uvarint()
	}
	if flags&flagExpiration != 0 {
		c.Expiration = d.varint()
	}
	if flags&flagTime != 0 {
		c.Time = d.varint()
	}
	if d.err == nil && len(d.data) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrBadCommand, len(d.data))
	}
	return d.err
}

// decoder reads fields from a byte slice, remembering the first error so that callers check
// once at the end.
type decoder struct {
	data []byte
	err  error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", ErrBadCommand, what)
	}
	d.data = nil
}

func (d *decoder) byte() byte {
	if len(d.data) == 0 {
		d.fail("header")
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.data)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.data)) {
		d.fail("string")
		return ""
	}
	s := string(d.data[:n])
	d.data = d.data[n:]
	return s
}

// ExpirationFromTTL returns the Command.Expiration for a TTL of ttlSeconds given at time
// now. It reproduces the reference's arithmetic exactly: now + time.Duration(ttl)*time.Second
// as unix nanoseconds, where both the uint64→int64 conversion and the multiplication wrap
// in two's complement. Consequences kept on purpose (SPEC §2.8):
//
//   - ttl=0 gives now: the key expires at the next sweep.
//   - ttl=99999999999 wraps to a time after 2262, whose unix nanoseconds wrap negative,
//     i.e. before 2000: set/create then make the key permanent.
//   - ttl=2^64-1 is -1 as a Duration: now-1s, an already expired key showing ttl -1.
func ExpirationFromTTL(now time.Time, ttlSeconds uint64) int64 {
	d := int64(ttlSeconds) * int64(time.Second) // wraps like time.Duration(ttl)*time.Second
	return now.UnixNano() + d                   // wraps like Time.Add(d).UnixNano()
}
