package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchTree returns a store holding n files of 64-byte values, 1000 per directory:
// /1/dir<d>/key<k>.
func benchTree(b testing.TB, n int) *Store {
	s, _ := newTestStore()
	value := strings.Repeat("v", 64)
	for i := range n {
		c := Command{Op: OpSet, Key: benchKey(i), Value: value}
		if _, err := s.Apply(&c); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func benchKey(i int) string {
	return fmt.Sprintf("/1/dir%03d/key%06d", i/1000, i)
}

func BenchmarkGetLeaf(b *testing.B) {
	s := benchTree(b, 100_000)
	key := benchKey(54_321)
	b.Run("AppendGetJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			var err error
			buf, _, err = s.AppendGetJSON(buf[:0], key, false, false, "/1")
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get+AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			e, err := s.Get(key, false, false)
			if err != nil {
				b.Fatal(err)
			}
			buf = e.AppendJSON(buf[:0], "/1")
		}
	})
}

func BenchmarkSetNew(b *testing.B) {
	s := benchTree(b, 100_000)
	value := strings.Repeat("v", 64)
	b.ReportAllocs()
	i := 0
	key := make([]byte, 0, 32)
	for b.Loop() {
		// Building the key string is part of the cost: a decoded command carries its own.
		key = strconv.AppendInt(append(key[:0], "/1/new/k"...), int64(i), 10)
		c := Command{Op: OpSet, Key: string(key), Value: value}
		if _, err := s.Apply(&c); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkOverwrite(b *testing.B) {
	s := benchTree(b, 100_000)
	c := Command{Op: OpSet, Key: benchKey(777), Value: strings.Repeat("w", 64)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Apply(&c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompareAndSwap(b *testing.B) {
	s := benchTree(b, 100_000)
	values := [2]string{strings.Repeat("a", 64), strings.Repeat("b", 64)}
	set(b, s, "/1/cas", values[0])
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := Command{Op: OpCompareAndSwap, Key: "/1/cas", PrevValue: values[i%2], PrevIndex: s.index, Value: values[(i+1)%2]}
		if _, err := s.Apply(&c); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGetDir1000(b *testing.B) {
	s := benchTree(b, 1000)
	for _, sorted := range []bool{false, true} {
		b.Run(fmt.Sprintf("recursive/sorted=%v", sorted), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256<<10)
			for b.Loop() {
				var err error
				buf, _, err = s.AppendGetJSON(buf[:0], "/1/dir000", true, sorted, "/1")
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
	b.Run("recursive/Get+AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256<<10)
		for b.Loop() {
			e, _ := s.Get("/1/dir000", true, true)
			buf = e.AppendJSON(buf[:0], "/1")
		}
	})
}

// BenchmarkNotify1000Watchers applies one set seen by 1000 stream watchers (on the key and
// recursively on its ancestors) and has each consumer take its event.
func BenchmarkNotify1000Watchers(b *testing.B) {
	s, _ := newTestStore()
	keys := []string{"/1/app/cfg/db", "/1/app/cfg", "/1/app", "/1"}
	var ws []*Watcher
	for i := range 1000 {
		w, err := s.Watch(keys[i%len(keys)], i%len(keys) != 0, true, 0)
		if err != nil {
			b.Fatal(err)
		}
		ws = append(ws, w)
	}
	c := Command{Op: OpSet, Key: keys[0], Value: "v"}
	b.ReportAllocs()
	for b.Loop() {
		s.Apply(&c)
		for _, w := range ws {
			<-w.eventc
		}
	}
	if s.Stats().Watchers != 1000 {
		b.Fatal("watchers were dropped")
	}
}

func BenchmarkSaveRecover100k(b *testing.B) {
	s := benchTree(b, 100_000)
	snap, err := s.Save()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Save", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Save(); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(snap)))
	})
	b.Run("Recover", func(b *testing.B) {
		b.ReportAllocs()
		r, _ := newTestStore()
		for b.Loop() {
			if err := r.Recover(snap); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(snap)))
	})
}

// BenchmarkHeapPerKey reports the heap one stored key costs in a 1M-key tree with 64-byte
// values (runtime.MemStats before and after), in total and beyond the key and value bytes.
func BenchmarkHeapPerKey(b *testing.B) {
	const n = 1_000_000
	var perKey, overhead float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, _ := newTestStore()
		raw := []byte(strings.Repeat("v", 64))
		var payload int
		for i := range n {
			// Key and value are allocations of their own, as in a decoded command.
			c := Command{Op: OpSet, Key: benchKey(i), Value: string(raw)}
			payload += len(c.Key) + len(c.Value)
			if _, err := s.Apply(&c); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		perKey = used / n
		overhead = (used - float64(payload)) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perKey, "B/key")
	b.ReportMetric(overhead, "B/key-beyond-payload")
}

func BenchmarkCommandBinary(b *testing.B) {
	c := Command{Op: OpCompareAndSwap, Key: "/1/app/cfg/db", Value: strings.Repeat("v", 64), PrevValue: "old", PrevIndex: 12345, Expiration: 1795339800000000000}
	b.Run("Append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf = c.AppendBinary(buf[:0])
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		data := c.AppendBinary(nil)
		var d Command
		for b.Loop() {
			if err := d.UnmarshalBinary(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTTLHeap(b *testing.B) {
	const n = 100_000
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = newFile(benchKey(i), "", 1, nil, int64((i*7919)%n)+1)
	}
	b.ReportAllocs()
	for b.Loop() {
		var h ttlHeap
		for _, nd := range nodes {
			h.push(nd)
		}
		for h.len() > 0 {
			h.remove(h.top())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*n), "ns/push+pop")
}

func BenchmarkWatchHistoryScan(b *testing.B) {
	s, _ := newTestStore()
	for i := range 1000 {
		set(b, s, fmt.Sprintf("/1/other/%d", i), "v")
	}
	b.ReportAllocs()
	for b.Loop() {
		// Scans the whole window, finds nothing, registers live, is removed.
		w, err := s.Watch("/1/missing", true, false, s.Index()-999)
		if err != nil {
			b.Fatal(err)
		}
		w.Remove()
	}
}

// BenchmarkEncodeEvent compares the hand-written encoder with encoding/json on an
// equivalent tagged struct: the measurement behind writing the wire JSON by hand.
func BenchmarkEncodeEvent(b *testing.B) {
	e := &Event{Action: ActionCompareAndSwap,
		Node:     &NodeExtern{Key: "/1/app/cfg/db", Value: strings.Repeat("v", 64), HasValue: true, Expiration: 1795339800000000000, TTL: 30, ModifiedIndex: 1234, CreatedIndex: 1000},
		PrevNode: &NodeExtern{Key: "/1/app/cfg/db", Value: strings.Repeat("w", 64), HasValue: true, ModifiedIndex: 1000, CreatedIndex: 1000}}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf = e.AppendJSON(buf[:0], "/1")
		}
	})
	type jsonNode struct {
		Key           string     `json:"key,omitempty"`
		Value         *string    `json:"value,omitempty"`
		Dir           bool       `json:"dir,omitempty"`
		Expiration    *time.Time `json:"expiration,omitempty"`
		TTL           int64      `json:"ttl,omitempty"`
		Nodes         []jsonNode `json:"nodes,omitempty"`
		ModifiedIndex uint64     `json:"modifiedIndex,omitempty"`
		CreatedIndex  uint64     `json:"createdIndex,omitempty"`
	}
	type jsonEvent struct {
		Action   string    `json:"action"`
		Node     *jsonNode `json:"node,omitempty"`
		PrevNode *jsonNode `json:"prevNode,omitempty"`
	}
	conv := func(n *NodeExtern) *jsonNode {
		v := n.Value
		t := time.Unix(0, n.Expiration).UTC()
		j := &jsonNode{Key: strings.TrimPrefix(n.Key, "/1"), Value: &v, TTL: n.TTL, ModifiedIndex: n.ModifiedIndex, CreatedIndex: n.CreatedIndex}
		if n.Expiration != 0 {
			j.Expiration = &t
		}
		return j
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for b.Loop() {
			buf.Reset()
			if err := enc.Encode(jsonEvent{Action: string(e.Action), Node: conv(e.Node), PrevNode: conv(e.PrevNode)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
