package raft

import (
	"errors"
	"testing"
	"time"

	"github.com/etcd2/etcd2/store"
)

func TestEntryRoundTrip(t *testing.T) {
	cmd := &store.Command{Op: store.OpCompareAndSwap, Key: "/1/k", Value: "v", PrevValue: "p", PrevIndex: 9, Expiration: 12345}
	data := encodeEntry(nil, 0xdeadbeef, cmd)
	var got store.Command
	id, err := decodeEntry(data, &got)
	if err != nil || id != 0xdeadbeef || got != *cmd {
		t.Errorf("decodeEntry = %d, %+v, %v; want %d, %+v", id, got, err, 0xdeadbeef, *cmd)
	}
}

func TestDecodeEntryRejectsGarbage(t *testing.T) {
	for _, data := range [][]byte{nil, {1}, {2, 0, 0, 0, 0, 0, 0, 0, 1, 1}, {1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff}} {
		var c store.Command
		if _, err := decodeEntry(data, &c); !errors.Is(err, errBadEntry) {
			t.Errorf("decodeEntry(%x) error = %v, want errBadEntry", data, err)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(nil, 1, &store.Command{Op: store.OpSet, Key: "/1/a", Value: "b"}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		var c store.Command
		decodeEntry(data, &c) // must not panic
	})
}

func TestReqIDsUniqueAndPrefixed(t *testing.T) {
	g := newReqIDGenerator(0xabcd1234, time.Unix(1700000000, 0))
	seen := map[uint64]bool{}
	for range 10000 {
		id := g.id()
		if seen[id] || id>>48 != 0x1234 {
			t.Fatalf("id %x duplicated or without member prefix", id)
		}
		seen[id] = true
	}
	// A restart a millisecond later starts past everything handed out before, unless
	// more than 256 IDs per millisecond were used.
	later := newReqIDGenerator(0xabcd1234, time.Unix(1700000000, 0).Add(time.Hour))
	if id := later.id(); seen[id] {
		t.Errorf("restarted generator reused %x", id)
	}
}

func TestWaitRegistry(t *testing.T) {
	w := newWaitRegistry()
	ch := w.register(7)
	w.trigger(8, result{}) // nobody waits: no-op
	w.trigger(7, result{err: errBadEntry})
	if r := <-ch; r.err != errBadEntry {
		t.Errorf("result = %v", r.err)
	}
	w.register(9)
	w.cancel(9)
	if w.len() != 0 {
		t.Errorf("len = %d after trigger and cancel", w.len())
	}
}

func TestIndexWait(t *testing.T) {
	var w indexWait
	c5 := w.wait(5)
	c9 := w.wait(9)
	w.trigger(6)
	select {
	case <-c5:
	default:
		t.Error("wait(5) not released at 6")
	}
	select {
	case <-c9:
		t.Error("wait(9) released at 6")
	default:
	}
	select {
	case <-w.wait(3):
	default:
		t.Error("wait below applied not released at once")
	}
}
