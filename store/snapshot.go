package store

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Snapshot format, version 1 (JSON, one object):
//
//	{"version":1,"index":<store index>,
//	 "stats":{<the replicated counters of Stats, SPEC §5 names; no gets, no watchers>},
//	 "nodes":[<node>…],       the whole tree in pre-order, root first, siblings sorted by key
//	 "history":[<event>…]}    the retained events, oldest first
//
//	node:  {"key":…,"value":…,"dir":true,"expire":<unix ns>,"ttl":<n>,"hasValue":true,
//	        "modified":<n>,"created":<n>}   every field but key omitted when empty
//	event: {"action":…,"node":<node>,"prevNode":<node>,"etcdIndex":<n>,"refresh":true}
//
// Tree nodes use value/dir/expire/modified/created; event nodes also ttl and hasValue (the
// NodeExtern as it was sent). The tree is flat rather than nested so that no key depth can
// make a snapshot undecodable. Strings are JSON strings when they are valid UTF-8 and do
// not start with NUL; any other string is written as NUL followed by its base64 (std
// encoding), so that keys and values round-trip byte for byte.
const snapshotVersion = 1

type snapNode struct {
	Key      string `json:"key"`
	Value    string `json:"value"`
	Dir      bool   `json:"dir"`
	Expire   int64  `json:"expire"`
	TTL      int64  `json:"ttl"`
	HasValue bool   `json:"hasValue"`
	Modified uint64 `json:"modified"`
	Created  uint64 `json:"created"`
}

type snapEvent struct {
	Action    Action    `json:"action"`
	Node      *snapNode `json:"node"`
	PrevNode  *snapNode `json:"prevNode"`
	EtcdIndex uint64    `json:"etcdIndex"`
	Refresh   bool      `json:"refresh"`
}

type snapState struct {
	Version *int        `json:"version"`
	Index   uint64      `json:"index"`
	Stats   Stats       `json:"stats"`
	Nodes   []snapNode  `json:"nodes"`
	History []snapEvent `json:"history"`
}

// Save returns the whole state as JSON: tree, index, TTLs, event history (with refresh
// flags) and the mutation counters. Watchers and the local get counters are not replicated
// state and are not saved, so replicas that applied the same commands save the same bytes.
func (s *Store) Save() ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	buf := make([]byte, 0, 4096)
	buf = append(buf, `{"version":1,"index":`...)
	buf = strconv.AppendUint(buf, s.index, 10)
	buf = append(buf, `,"stats":{`...)
	// Only the replicated counters: gets and watchers are local to a member, and leaving
	// them out makes replicas that applied the same commands save the same bytes.
	for f := statSetsSuccess; f < statWatchers; f++ {
		if f > statSetsSuccess {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, statNames[f]...)
		buf = append(buf, `":`...)
		buf = strconv.AppendUint(buf, s.stats[f].Load(), 10)
	}
	buf = append(buf, '}')
	buf = append(buf, `,"nodes":[`...)
	buf = appendSnapTree(buf, s.root)
	buf = append(buf, `],"history":[`...)
	for i := 0; i < s.history.n; i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendSnapEvent(buf, s.history.at(i))
	}
	return append(buf, "]}"...), nil
}

func appendSnapTree(buf []byte, n *node) []byte {
	if n.parent != nil {
		buf = append(buf, ',')
	}
	buf = appendSnapNode(buf, n.path, n.value, n.dir, !n.dir, n.expireTime, 0, n.modifiedIndex, n.createdIndex, false)
	if len(n.children) == 0 {
		return buf
	}
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		buf = appendSnapTree(buf, n.children[name])
	}
	return buf
}

func appendSnapNode(buf []byte, key, value string, dir, hasValue bool, exp, ttl int64, modified, created uint64, event bool) []byte {
	buf = append(buf, `{"key":`...)
	buf = appendSnapString(buf, key)
	if hasValue && value != "" {
		buf = append(buf, `,"value":`...)
		buf = appendSnapString(buf, value)
	}
	if dir {
		buf = append(buf, `,"dir":true`...)
	}
	if exp != 0 {
		buf = append(buf, `,"expire":`...)
		buf = strconv.AppendInt(buf, exp, 10)
	}
	if ttl != 0 {
		buf = append(buf, `,"ttl":`...)
		buf = strconv.AppendInt(buf, ttl, 10)
	}
	if event && hasValue {
		buf = append(buf, `,"hasValue":true`...)
	}
	if modified != 0 {
		buf = append(buf, `,"modified":`...)
		buf = strconv.AppendUint(buf, modified, 10)
	}
	if created != 0 {
		buf = append(buf, `,"created":`...)
		buf = strconv.AppendUint(buf, created, 10)
	}
	return append(buf, '}')
}

func appendSnapExtern(buf []byte, n *NodeExtern) []byte {
	return appendSnapNode(buf, n.Key, n.Value, n.Dir, n.HasValue, n.Expiration, n.TTL, n.ModifiedIndex, n.CreatedIndex, true)
}

func appendSnapEvent(buf []byte, e *Event) []byte {
	buf = append(buf, `{"action":`...)
	buf = appendJSONString(buf, string(e.Action))
	buf = append(buf, `,"node":`...)
	buf = appendSnapExtern(buf, e.Node)
	if e.PrevNode != nil {
		buf = append(buf, `,"prevNode":`...)
		buf = appendSnapExtern(buf, e.PrevNode)
	}
	buf = append(buf, `,"etcdIndex":`...)
	buf = strconv.AppendUint(buf, e.EtcdIndex, 10)
	if e.Refresh {
		buf = append(buf, `,"refresh":true`...)
	}
	return append(buf, '}')
}

// appendSnapString writes s losslessly (see the format comment).
func appendSnapString(buf []byte, s string) []byte {
	if utf8.ValidString(s) && !strings.HasPrefix(s, "\x00") {
		return appendJSONString(buf, s)
	}
	buf = append(buf, `"\u0000`...)
	buf = base64.StdEncoding.AppendEncode(buf, []byte(s))
	return append(buf, '"')
}

func decodeSnapString(s string) (string, error) {
	if !strings.HasPrefix(s, "\x00") {
		return s, nil
	}
	b, err := base64.StdEncoding.DecodeString(s[1:])
	if err != nil {
		return "", fmt.Errorf("%w: string %q: %w", ErrBadSnapshot, s, err)
	}
	return string(b), nil
}

// Recover replaces the whole state with a snapshot made by Save. Existing watchers end with
// error 400 (SPEC §3.3). Malformed, truncated or inconsistent input is an error wrapping
// ErrBadSnapshot and leaves the state unchanged.
func (s *Store) Recover(data []byte) error {
	st, err := decodeSnapState(data)
	if err != nil {
		return err
	}
	if st.Version == nil || *st.Version != snapshotVersion {
		return fmt.Errorf("%w: unsupported version", ErrBadSnapshot)
	}
	r := recovered{index: st.Index, history: newEventHistory(s.cfg.historySize)}
	if err := r.buildTree(st.Nodes); err != nil {
		return err
	}
	if err := r.buildHistory(st.History); err != nil {
		return err
	}
	if err := r.checkNamespaces(s.cfg.namespaces); err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.root, s.index, s.ttl, s.history = r.root, r.index, r.ttl, r.history
	s.makeNamespaces()
	st.Stats.GetsSuccess, st.Stats.GetsFail = s.stats[statGetsSuccess].Load(), s.stats[statGetsFail].Load()
	saved := st.Stats.array()
	for i := range s.stats {
		s.stats[i].Store(saved[i])
	}
	s.hub.endAll(NewError(CodeWatcherCleared, "", s.index))
	return nil
}

// recovered is the state being rebuilt from a snapshot, swapped in only when complete.
type recovered struct {
	index   uint64
	root    *node
	ttl     ttlHeap
	history *eventHistory
}

func (r *recovered) buildTree(nodes []snapNode) error {
	if len(nodes) == 0 || nodes[0].Key != "/" || !nodes[0].Dir {
		return fmt.Errorf("%w: the first node is not the root directory", ErrBadSnapshot)
	}
	r.root = newDir("/", nodes[0].Created, nil, 0)
	r.root.modifiedIndex = nodes[0].Modified
	// Pre-order: the parent of each node is the root or on the path of directories above
	// the previous node.
	stack := []*node{r.root}
	for i := 1; i < len(nodes); i++ {
		sn := &nodes[i]
		key, err := decodeSnapString(sn.Key)
		if err != nil {
			return err
		}
		if key == "/" || cleanKey(key) != key {
			return fmt.Errorf("%w: bad key %q", ErrBadSnapshot, key)
		}
		pk := parentKey(key)
		for len(stack) > 0 && stack[len(stack)-1].path != pk {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return fmt.Errorf("%w: node %q out of order", ErrBadSnapshot, key)
		}
		parent := stack[len(stack)-1]
		if _, dup := parent.children[baseName(key)]; dup {
			return fmt.Errorf("%w: duplicate node %q", ErrBadSnapshot, key)
		}
		if sn.Created > r.index || sn.Modified > r.index || sn.Created == 0 && sn.Modified != 0 {
			return fmt.Errorf("%w: node %q has indexes beyond the store index", ErrBadSnapshot, key)
		}
		var n *node
		if sn.Dir {
			n = newDir(key, sn.Created, parent, sn.Expire)
			stack = append(stack, n)
		} else {
			value, err := decodeSnapString(sn.Value)
			if err != nil {
				return err
			}
			n = newFile(key, value, sn.Created, parent, sn.Expire)
		}
		n.modifiedIndex = sn.Modified
		parent.addChild(n)
		if n.expireTime != 0 {
			r.ttl.push(n)
		}
	}
	return nil
}

func (r *recovered) buildHistory(events []snapEvent) error {
	if len(events) > 0 && events[len(events)-1].Node != nil && events[len(events)-1].Node.Modified != r.index {
		return fmt.Errorf("%w: the last event is not at the store index", ErrBadSnapshot)
	}
	if keep := len(r.history.ring); len(events) > keep {
		events = events[len(events)-keep:]
	}
	for i := range events {
		se := &events[i]
		if se.Node == nil || !validAction(se.Action) {
			return fmt.Errorf("%w: bad event %d", ErrBadSnapshot, i)
		}
		e := &Event{Action: se.Action, EtcdIndex: se.EtcdIndex, Refresh: se.Refresh}
		var err error
		if e.Node, err = se.Node.extern(); err != nil {
			return err
		}
		if se.PrevNode != nil {
			if e.PrevNode, err = se.PrevNode.extern(); err != nil {
				return err
			}
		}
		if want := r.index - uint64(len(events)-1-i); e.Index() != want {
			return fmt.Errorf("%w: event %d has index %d, want %d", ErrBadSnapshot, i, e.Index(), want)
		}
		r.history.add(e)
	}
	return nil
}

func (sn *snapNode) extern() (*NodeExtern, error) {
	key, err := decodeSnapString(sn.Key)
	if err != nil {
		return nil, err
	}
	value, err := decodeSnapString(sn.Value)
	if err != nil {
		return nil, err
	}
	return &NodeExtern{
		Key: key, Value: value, HasValue: sn.HasValue, Dir: sn.Dir, Expiration: sn.Expire,
		TTL: sn.TTL, ModifiedIndex: sn.Modified, CreatedIndex: sn.Created,
	}, nil
}

func validAction(a Action) bool {
	switch a {
	case ActionSet, ActionCreate, ActionUpdate, ActionDelete, ActionCompareAndSwap, ActionCompareAndDelete, ActionExpire:
		return true
	}
	return false
}

// checkNamespaces rejects a snapshot where a file stands on the path of a namespace.
func (r *recovered) checkNamespaces(namespaces []string) error {
	for _, ns := range namespaces {
		d := r.root
		for i := 1; i <= len(ns) && d != nil; i++ {
			if i < len(ns) && ns[i] != '/' {
				continue
			}
			d = d.children[baseName(ns[:i])]
			if d != nil && !d.dir {
				return fmt.Errorf("%w: namespace %q is a file", ErrBadSnapshot, ns[:i])
			}
		}
	}
	return nil
}
