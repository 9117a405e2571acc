package store

import (
	"slices"
	"strings"
	"time"
)

// node is one file or directory of the tree. Its key is the full clean path; the name it is
// filed under in its parent's map is a substring of that key, so a node costs no extra key
// allocation.
type node struct {
	path     string
	value    string
	parent   *node
	children map[string]*node // directories only; nil until the first child
	// createdIndex and modifiedIndex are the indexes of the writes that created and last
	// changed the node.
	createdIndex  uint64
	modifiedIndex uint64
	expireTime    int64 // unix nanoseconds; 0 = permanent
	heapPos       int32 // 1-based position in the TTL heap; 0 = not in it
	dir           bool
}

func newFile(key, value string, index uint64, parent *node, exp int64) *node {
	return &node{path: key, value: value, parent: parent, createdIndex: index, modifiedIndex: index, expireTime: exp}
}

func newDir(key string, index uint64, parent *node, exp int64) *node {
	return &node{path: key, parent: parent, createdIndex: index, modifiedIndex: index, expireTime: exp, dir: true}
}

func (n *node) name() string { return baseName(n.path) }

func (n *node) permanent() bool { return n.expireTime == 0 }

func (n *node) addChild(c *node) {
	if n.children == nil {
		n.children = make(map[string]*node)
	}
	n.children[c.name()] = c
}

// displayTTL returns the ttl field of the node seen at now (0 for permanent nodes).
func (n *node) displayTTL(now time.Time) int64 {
	if n.expireTime == 0 {
		return 0
	}
	return ttlAt(n.expireTime, now)
}

// extern returns the node as clients see it, without children.
func (n *node) extern(now time.Time) *NodeExtern {
	e := &NodeExtern{
		Key:           n.path,
		Dir:           n.dir,
		Expiration:    n.expireTime,
		TTL:           n.displayTTL(now),
		ModifiedIndex: n.modifiedIndex,
		CreatedIndex:  n.createdIndex,
	}
	if !n.dir {
		e.Value, e.HasValue = n.value, true
	}
	return e
}

// externTree returns the node with its visible children for a get: one level for a
// directory, every level when recursive, sorted by key at each level when sorted. Hidden
// children are left out (SPEC §2.7).
func (n *node) externTree(recursive, sorted bool, now time.Time) *NodeExtern {
	e := n.extern(now)
	if !n.dir || len(n.children) == 0 {
		return e
	}
	nodes := make([]*NodeExtern, 0, len(n.children))
	for name, c := range n.children {
		if isHiddenName(name) {
			continue
		}
		if recursive && c.dir {
			nodes = append(nodes, c.externTree(true, sorted, now))
		} else {
			nodes = append(nodes, c.extern(now))
		}
	}
	if sorted {
		slices.SortFunc(nodes, func(a, b *NodeExtern) int { return strings.Compare(a.Key, b.Key) })
	}
	if len(nodes) > 0 {
		e.Nodes = nodes
	}
	return e
}

// visibleChildren returns the directory's children that a listing shows, sorted by name
// when sorted (byte order of names equals byte order of keys among siblings).
func (n *node) visibleChildren(sorted bool) []*node {
	out := make([]*node, 0, len(n.children))
	for name, c := range n.children {
		if !isHiddenName(name) {
			out = append(out, c)
		}
	}
	if sorted {
		slices.SortFunc(out, func(a, b *node) int { return strings.Compare(a.path, b.path) })
	}
	return out
}

// appendJSON encodes the node for a get directly from the tree (the read fast path): the
// same bytes as externTree(...).appendJSON without building NodeExterns. list says whether
// this node's children are shown (always for the node asked for, below it only when
// recursive).
func (n *node) appendJSON(buf []byte, list, recursive, sorted bool, now time.Time, trim string) []byte {
	buf = appendNodeHead(buf, n.path, trim, !n.dir, n.value, n.dir, n.expireTime, n.displayTTL(now))
	if list && n.dir && len(n.children) > 0 {
		mark := len(buf)
		buf = append(buf, `,"nodes":[`...)
		first := true
		emit := func(c *node) {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = c.appendJSON(buf, recursive, recursive, sorted, now, trim)
		}
		if sorted {
			for _, c := range n.visibleChildren(true) {
				emit(c)
			}
		} else {
			for name, c := range n.children {
				if !isHiddenName(name) {
					emit(c)
				}
			}
		}
		if first { // only hidden children: no "nodes" field at all
			buf = buf[:mark]
		} else {
			buf = append(buf, ']')
		}
	}
	return appendNodeTail(buf, n.modifiedIndex, n.createdIndex)
}
