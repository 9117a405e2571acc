package store

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var commandSamples = []Command{
	{Op: OpSet, Key: "/1/foo", Value: "bar"},
	{Op: OpSet, Key: "/1/d", Dir: true, Expiration: 1795000000000000000},
	{Op: OpCreate, Key: "/1/q", Value: "job", Unique: true, Expiration: -7766279630452241920},
	{Op: OpUpdate, Key: "/1/k", Refresh: true, Expiration: 1},
	{Op: OpCompareAndSwap, Key: "/1/k", Value: "v2", PrevValue: "v1", PrevIndex: math.MaxUint64},
	{Op: OpDelete, Key: "/1/d", Dir: true, Recursive: true},
	{Op: OpCompareAndDelete, Key: "/1/k", PrevIndex: 9},
	{Op: OpExpire, Time: 1795000000123456789},
	{Op: OpSet, Key: "", Value: "\xff\x00binary\n"},
	{Op: OpExpire, Time: math.MinInt64},
}

func TestCommandRoundTrip(t *testing.T) {
	for _, c := range commandSamples {
		t.Run(c.Op.String(), func(t *testing.T) {
			b := c.AppendBinary([]byte("prefix"))
			var got Command
			if err := got.UnmarshalBinary(b[len("prefix"):]); err != nil {
				t.Fatalf("UnmarshalBinary = %v", err)
			}
			if diff := cmp.Diff(c, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommandDecodeErrors(t *testing.T) {
	valid := (&Command{Op: OpCompareAndSwap, Key: "/1/k", Value: "v", PrevValue: "p", PrevIndex: 3, Expiration: 5}).AppendBinary(nil)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"bad version", []byte{2, byte(OpSet), 0, 0}},
		{"op zero", []byte{1, 0, 0, 0}},
		{"unknown op", []byte{1, 8, 0, 0}},
		{"unknown flag", []byte{1, byte(OpSet), 0x80, 0x04, 0}},
		{"trailing byte", append(append([]byte{}, valid...), 0)},
		{"string longer than data", []byte{1, byte(OpSet), 0, 5, 'a'}},
		{"huge length", []byte{1, byte(OpSet), 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"varint overflow", []byte{1, byte(OpSet), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for i := range len(valid) {
		tests = append(tests, struct {
			name string
			data []byte
		}{"truncated", valid[:i]})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Command
			if err := c.UnmarshalBinary(tt.data); !errors.Is(err, ErrBadCommand) {
				t.Errorf("UnmarshalBinary(%x) = %v, want ErrBadCommand", tt.data, err)
			}
		})
	}
}

func FuzzCommandDecode(f *testing.F) {
	for _, c := range commandSamples {
		f.Add(c.AppendBinary(nil))
	}
	f.Add([]byte{1, 1, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Command
		if err := c.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrBadCommand) {
				t.Fatalf("error %v does not wrap ErrBadCommand", err)
			}
			return
		}
		var again Command
		if err := again.UnmarshalBinary(c.AppendBinary(nil)); err != nil {
			t.Fatalf("re-decoding a decoded command: %v", err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("re-encode changed the command (-first +second):\n%s", diff)
		}
	})
}

func TestExpirationFromTTL(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 30, 42, 882931341, time.UTC)
	tests := []struct {
		name      string
		ttl       uint64
		want      int64
		permanent bool // as set/create read it: 0 or before 2000
	}{
		{"zero expires now", 0, now.UnixNano(), false},
		{"ten seconds", 10, now.UnixNano() + 10e9, false},
		{"huge wraps to before 2000", 99999999999, now.UnixNano() + 7766279630452241920, true},
		{"max uint64 is minus one second", math.MaxUint64, now.UnixNano() - 1e9, false},
		{"2^63 seconds", 1 << 63, now.UnixNano(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExpirationFromTTL(now, tt.ttl)
			if got != tt.want {
				t.Errorf("ExpirationFromTTL(%d) = %d, want %d", tt.ttl, got, tt.want)
			}
			// The reference computes now.Add(time.Duration(ttl) * time.Second).UnixNano().
			if ref := now.Add(time.Duration(tt.ttl) * time.Second).UnixNano(); got != ref {
				t.Errorf("ExpirationFromTTL(%d) = %d, reference arithmetic gives %d", tt.ttl, got, ref)
			}
			if p := got == 0 || got < minExpireTime; p != tt.permanent {
				t.Errorf("permanent for set = %v, want %v", p, tt.permanent)
			}
		})
	}
}

func TestOpString(t *testing.T) {
	want := map[Op]string{OpSet: "set", OpCreate: "create", OpUpdate: "update", OpCompareAndSwap: "compareAndSwap",
		OpDelete: "delete", OpCompareAndDelete: "compareAndDelete", OpExpire: "expire", 0: "op(0)", 99: "op(99)"}
	for op, w := range want {
		if got := op.String(); got != w {
			t.Errorf("Op(%d).String() = %q, want %q", op, got, w)
		}
	}
}
