package store

import "fmt"

// heapConsistent returns "" when the TTL heap holds exactly the tree's nodes with an expire
// time, each at its recorded position, in heap order; otherwise what is wrong.
func heapConsistent(s *Store) string {
	inTree := 0
	var walk func(n *node) string
	walk = func(n *node) string {
		if n.expireTime != 0 {
			inTree++
			if n.heapPos < 1 || int(n.heapPos) > len(s.ttl.a) || s.ttl.a[n.heapPos-1] != n {
				return fmt.Sprintf("TTL node %q is not at its heap position %d", n.path, n.heapPos)
			}
		} else if n.heapPos != 0 {
			return fmt.Sprintf("permanent node %q has heap position %d", n.path, n.heapPos)
		}
		for name, c := range n.children {
			if c.parent != n || c.name() != name || parentKey(c.path) != n.path {
				return fmt.Sprintf("node %q is misfiled under %q as %q", c.path, n.path, name)
			}
			if msg := walk(c); msg != "" {
				return msg
			}
		}
		return ""
	}
	if msg := walk(s.root); msg != "" {
		return msg
	}
	if inTree != len(s.ttl.a) {
		return fmt.Sprintf("tree has %d TTL nodes, heap has %d", inTree, len(s.ttl.a))
	}
	for i := 1; i < len(s.ttl.a); i++ {
		if s.ttl.less(i, (i-1)/2) {
			return fmt.Sprintf("heap order broken at %d (%q)", i, s.ttl.a[i].path)
		}
	}
	return ""
}
