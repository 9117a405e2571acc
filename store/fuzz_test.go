package store

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fuzz test drives the store with random command sequences and compares every result
// with model, a deliberately naive second implementation of SPEC §2 (a flat map of clean
// keys plus an index), then checks the store's invariants.

var (
	fuzzBase = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	fuzzKeys = []string{"/1", "/1/a", "/1/a/b", "/1/a/b/c", "/1/b", "/1/_h", "/1/a/_x", "/1/_h/y",
		"/0/m", "/", "/0", "1/a//b/", "/1/b/../a", "/1/a/b/c/d", "/1/c"}
	fuzzValues = []string{"", "v", "w", "\xff<"}
	fuzzExps   = []int64{0, 0, 0, fuzzBase.UnixNano() + 1e9, fuzzBase.UnixNano() + 2e9, fuzzBase.UnixNano() + 2e9,
		fuzzBase.UnixNano() + 3e9, ExpirationFromTTL(fuzzBase, 99999999999), fuzzBase.UnixNano() - 1e9}
)

// opsFromBytes turns fuzz input into commands, six bytes per command.
func opsFromBytes(data []byte) []Command {
	var cmds []Command
	for ; len(data) >= 6; data = data[6:] {
		b := data[:6]
		c := Command{
			Op:         Op(b[0]%7) + 1,
			Key:        fuzzKeys[int(b[1])%len(fuzzKeys)],
			Value:      fuzzValues[int(b[2])%len(fuzzValues)],
			Dir:        b[3]&1 != 0,
			Unique:     b[3]&2 != 0,
			Refresh:    b[3]&4 != 0,
			Recursive:  b[3]&8 != 0,
			Expiration: fuzzExps[int(b[4])%len(fuzzExps)],
		}
		if b[3]&16 != 0 {
			c.PrevValue = fuzzValues[int(b[2]>>4)%len(fuzzValues)]
		}
		if b[3]&32 != 0 {
			c.PrevIndex = uint64(b[5] % 16)
		}
		if c.Op == OpExpire {
			c.Time = fuzzBase.UnixNano() + int64(b[5]%5)*1e9
		}
		cmds = append(cmds, c)
	}
	return cmds
}

type mnode struct {
	dir    bool
	value  string
	ci, mi uint64
	exp    int64
}

type model struct {
	nodes    map[string]*mnode
	index    uint64
	readonly map[string]bool
	events   []*Event // every event, in order
}

func newModel() *model {
	return &model{
		nodes:    map[string]*mnode{"/": {dir: true}, "/0": {dir: true}, "/1": {dir: true}},
		readonly: map[string]bool{"/": true, "/0": true, "/1": true},
	}
}

func (m *model) err(code Code, cause string) *Error { return NewError(code, cause, m.index) }

func (m *model) ext(key string) *NodeExtern {
	n := m.nodes[key]
	e := &NodeExtern{Key: key, Dir: n.dir, Expiration: n.exp, ModifiedIndex: n.mi, CreatedIndex: n.ci}
	if n.exp != 0 {
		e.TTL = ttlAt(n.exp, fuzzBase)
	}
	if !n.dir {
		e.Value, e.HasValue = n.value, true
	}
	return e
}

// prefixes returns "/a", "/a/b", … for "/a/b/c" (the key itself last).
func prefixes(key string) []string {
	var out []string
	for i := 1; i <= len(key); i++ {
		if i == len(key) || key[i] == '/' {
			if key[:i] != "/" {
				out = append(out, key[:i])
			}
		}
	}
	return out
}

func (m *model) lookup(key string) (*mnode, *Error) {
	parent := "/"
	for _, p := range prefixes(key) {
		if !m.nodes[parent].dir {
			return nil, m.err(CodeNotDir, parent)
		}
		if m.nodes[p] == nil {
			return nil, m.err(CodeKeyNotFound, p)
		}
		parent = p
	}
	return m.nodes[key], nil
}

func (m *model) removeTree(key string) {
	for k := range m.nodes {
		if k == key || strings.HasPrefix(k, key+"/") {
			delete(m.nodes, k)
		}
	}
}

func (m *model) event(action Action, node, prev *NodeExtern) *Event {
	m.index++
	e := &Event{Action: action, Node: node, PrevNode: prev, EtcdIndex: m.index}
	m.events = append(m.events, e)
	return e
}

func (m *model) compare(n *mnode, c *Command) *Error {
	if n.dir {
		return nil
	}
	var parts []string
	if c.PrevValue != "" && c.PrevValue != n.value {
		parts = append(parts, fmt.Sprintf("[%s != %s]", c.PrevValue, n.value))
	}
	if c.PrevIndex != 0 && c.PrevIndex != n.mi {
		parts = append(parts, fmt.Sprintf("[%d != %d]", c.PrevIndex, n.mi))
	}
	if parts != nil {
		return m.err(CodeTestFailed, strings.Join(parts, " "))
	}
	return nil
}

func (m *model) apply(c Command) (*Event, *Error) {
	key := path.Clean(path.Join("/", c.Key))
	switch c.Op {
	case OpSet:
		n, err := m.lookup(key)
		if err != nil && (c.Refresh || err.Code != CodeKeyNotFound) {
			return nil, err
		}
		value := c.Value
		if c.Refresh {
			value = n.value
		}
		e, err := m.create(key, c.Dir, value, false, true, c.Expiration, ActionSet)
		if e != nil {
			e.Refresh = c.Refresh
		}
		return e, err
	case OpCreate:
		return m.create(key, c.Dir, c.Value, c.Unique, false, c.Expiration, ActionCreate)
	case OpUpdate, OpCompareAndSwap:
		if m.readonly[key] {
			return nil, m.err(CodeRootReadOnly, "/")
		}
		n, err := m.lookup(key)
		if err != nil {
			return nil, err
		}
		if n.dir && (c.Op == OpCompareAndSwap || c.Value != "") {
			return nil, m.err(CodeNotFile, key)
		}
		if c.Op == OpCompareAndSwap {
			if err := m.compare(n, &c); err != nil {
				return nil, err
			}
		}
		prev := m.ext(key)
		if !n.dir {
			if !c.Refresh {
				n.value = c.Value
			}
			n.mi = m.index + 1
		}
		n.exp = c.Expiration
		node := m.ext(key)
		node.ModifiedIndex = m.index + 1
		action := ActionUpdate
		if c.Op == OpCompareAndSwap {
			action = ActionCompareAndSwap
		}
		e := m.event(action, node, prev)
		e.Refresh = c.Refresh
		return e, nil
	case OpDelete, OpCompareAndDelete:
		if c.Op == OpDelete && m.readonly[key] {
			return nil, m.err(CodeRootReadOnly, "/")
		}
		n, err := m.lookup(key)
		if err != nil {
			return nil, err
		}
		action := ActionDelete
		if c.Op == OpCompareAndDelete {
			action = ActionCompareAndDelete
			if n.dir {
				return nil, m.err(CodeNotFile, key)
			}
			if err := m.compare(n, &c); err != nil {
				return nil, err
			}
		} else if n.dir {
			if !c.Dir && !c.Recursive {
				return nil, m.err(CodeNotFile, key)
			}
			if !c.Recursive && len(m.children(key)) > 0 {
				return nil, m.err(CodeDirNotEmpty, key)
			}
		}
		return m.remove(key, action), nil
	}
	return nil, m.err(CodeRaftInternal, "unknown op")
}

func (m *model) remove(key string, action Action) *Event {
	prev := m.ext(key)
	n := m.nodes[key]
	m.removeTree(key)
	return m.event(action, &NodeExtern{Key: key, Dir: n.dir, ModifiedIndex: m.index + 1, CreatedIndex: n.ci}, prev)
}

func (m *model) children(dir string) []string {
	var out []string
	for k := range m.nodes {
		if k != "/" && path.Dir(k) == dir {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func (m *model) create(key string, dir bool, value string, unique, replace bool, exp int64, action Action) (*Event, *Error) {
	next := m.index + 1
	if unique {
		key = path.Join(key, fmt.Sprintf("%020d", next))
	}
	if m.readonly[key] {
		return nil, m.err(CodeRootReadOnly, "/")
	}
	if exp < time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano() {
		exp = 0
	}
	ps := prefixes(key)
	for _, p := range ps[:len(ps)-1] {
		if n := m.nodes[p]; n != nil && !n.dir {
			return nil, m.err(CodeNotDir, p)
		}
	}
	var prev *NodeExtern
	if old := m.nodes[key]; old != nil {
		if !replace {
			return nil, m.err(CodeNodeExist, key)
		}
		if old.dir {
			return nil, m.err(CodeNotFile, key)
		}
		prev = m.ext(key)
	}
	for _, p := range ps[:len(ps)-1] {
		if m.nodes[p] == nil {
			m.nodes[p] = &mnode{dir: true, ci: next, mi: next}
		}
	}
	m.nodes[key] = &mnode{dir: dir, ci: next, mi: next, exp: exp}
	if !dir {
		m.nodes[key].value = value
	}
	return m.event(action, m.ext(key), prev), nil
}

func (m *model) expire(t int64) {
	for {
		best := ""
		for k, n := range m.nodes {
			if n.exp != 0 && n.exp <= t {
				if b := m.nodes[best]; best == "" || n.exp < b.exp || n.exp == b.exp && k < best {
					best = k
				}
			}
		}
		if best == "" {
			return
		}
		m.remove(best, ActionExpire)
	}
}

// checkAgainstModel compares the store's tree with the model's, node by node.
func checkAgainstModel(t *testing.T, s *Store, m *model) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if msg := heapConsistent(s); msg != "" {
		t.Fatal(msg)
	}
	count := 0
	var walk func(n *node)
	walk = func(n *node) {
		count++
		mn := m.nodes[n.path]
		if mn == nil {
			t.Fatalf("store has %q, model does not", n.path)
		}
		if mn.dir != n.dir || mn.value != n.value || mn.ci != n.createdIndex || mn.mi != n.modifiedIndex || mn.exp != n.expireTime {
			t.Fatalf("node %q: store %+v, model %+v", n.path, *n, *mn)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(s.root)
	if count != len(m.nodes) {
		t.Fatalf("store has %d nodes, model %d", count, len(m.nodes))
	}
	if s.index != m.index {
		t.Fatalf("index %d, model %d", s.index, m.index)
	}
}

// checkListing checks a sorted recursive listing: sorted at every level, hidden nodes left
// out, exactly the model's visible children, and the fast path writing the same bytes.
func checkListing(t *testing.T, s *Store, m *model, key string) {
	t.Helper()
	e, err := s.Get(key, true, true)
	if err != nil {
		return
	}
	var check func(n *NodeExtern)
	check = func(n *NodeExtern) {
		if !n.Dir {
			return
		}
		var want []string
		for _, c := range m.children(n.Key) {
			if !isHiddenName(baseName(c)) {
				want = append(want, c)
			}
		}
		var got []string
		for _, c := range n.Nodes {
			got = append(got, c.Key)
			check(c)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("listing of %q = %v, want %v", n.Key, got, want)
		}
	}
	check(e.Node)
	fast, _, _ := s.AppendGetJSON(nil, key, true, true, "")
	if slow := e.AppendJSON(nil, ""); string(fast) != string(slow) {
		t.Fatalf("AppendGetJSON(%q) =\n%s\nGet().AppendJSON =\n%s", key, fast, slow)
	}
}

func FuzzOps(f *testing.F) {
	f.Add([]byte("\x00\x01\x01\x00\x03\x00\x00\x02\x02\x00\x04\x00\x06\x00\x00\x00\x00\x03"))
	f.Add([]byte("\x00\x03\x01\x01\x00\x00\x01\x0e\x00\x02\x05\x00\x04\x01\x00\x08\x00\x00\x06\x00\x00\x00\x00\x04"))
	f.Add([]byte("\x01\x01\x00\x03\x00\x00\x03\x02\x01\x14\x00\x00\x02\x03\x00\x25\x00\x02\x05\x02\x00\x08\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New(WithNamespaces("/0", "/1"), WithClock(&fakeClock{now: fuzzBase}), WithHistorySize(8), WithWatcherBuffer(2*(len(data)/6)+2)) // room for every event
		m := newModel()
		w, err := s.Watch("/", true, true, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Remove()
		var wantLive []string
		for _, c := range opsFromBytes(data) {
			before := s.Index()
			e, err := s.Apply(&c)
			if c.Op == OpExpire {
				n := len(m.events)
				m.expire(c.Time)
				if e != nil || err != nil {
					t.Fatalf("expire returned %v, %v", e, err)
				}
				for _, me := range m.events[n:] {
					if !isHiddenBelow("/", me.Node.Key) {
						wantLive = append(wantLive, string(me.AppendJSON(nil, "")))
					}
				}
			} else {
				me, merr := m.apply(c)
				switch {
				case merr != nil:
					if err == nil {
						t.Fatalf("%+v: store = %s, model error %v", c, e.AppendJSON(nil, ""), merr)
					}
					if got, want := string(err.(*Error).AppendJSON(nil)), string(merr.AppendJSON(nil)); got != want {
						t.Fatalf("%+v: store error %s, model %s", c, got, want)
					}
				case err != nil:
					t.Fatalf("%+v: store error %v, model %s", c, err, me.AppendJSON(nil, ""))
				default:
					if got, want := string(e.AppendJSON(nil, "")), string(me.AppendJSON(nil, "")); got != want {
						t.Fatalf("%+v: store event\n%s\nmodel\n%s", c, got, want)
					}
					if e.Refresh != me.Refresh || e.EtcdIndex != me.EtcdIndex {
						t.Fatalf("%+v: refresh %v/%v etcdIndex %d/%d", c, e.Refresh, me.Refresh, e.EtcdIndex, me.EtcdIndex)
					}
					if !e.Refresh && !isHiddenBelow("/", e.Node.Key) {
						wantLive = append(wantLive, string(e.AppendJSON(nil, "")))
					}
				}
			}
			if s.Index() < before {
				t.Fatalf("index went back from %d to %d", before, s.Index())
			}
			checkAgainstModel(t, s, m)
		}
		for _, k := range []string{"/", "/1", "/1/a", "/1/_h"} {
			checkListing(t, s, m, k)
		}
		// History holds the model's last events; the root watcher got every visible one.
		s.mu.RLock()
		var hist []string
		for i := range s.history.n {
			hist = append(hist, string(s.history.at(i).AppendJSON(nil, "")))
		}
		s.mu.RUnlock()
		var want []string
		for _, me := range m.events[max(0, len(m.events)-8):] {
			want = append(want, string(me.AppendJSON(nil, "")))
		}
		if !slices.Equal(hist, want) {
			t.Fatalf("history =\n%v\nwant\n%v", hist, want)
		}
		got, _ := drain(w)
		var live []string
		for _, e := range got {
			live = append(live, string(e.AppendJSON(nil, "")))
		}
		if !slices.Equal(live, wantLive) {
			t.Fatalf("root watcher got\n%v\nwant\n%v", live, wantLive)
		}
	})
}
