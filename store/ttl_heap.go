package store

// ttlHeap is a min-heap of the nodes that have an expire time, ordered by expire time and,
// for equal times, by key. The key tie-break makes the expiry order a total order, so every
// replica expires the same nodes in the same order with the same indexes (the reference's
// heap leaves ties in arbitrary order). Each node records its own position (heapPos), so a
// node whose TTL changes is re-keyed, and a removed node leaves, in O(log n).
type ttlHeap struct {
	a []*node
}

func (h *ttlHeap) len() int { return len(h.a) }

func (h *ttlHeap) top() *node {
	if len(h.a) == 0 {
		return nil
	}
	return h.a[0]
}

func (h *ttlHeap) less(i, j int) bool {
	a, b := h.a[i], h.a[j]
	if a.expireTime != b.expireTime {
		return a.expireTime < b.expireTime
	}
	return a.path < b.path
}

func (h *ttlHeap) swap(i, j int) {
	h.a[i], h.a[j] = h.a[j], h.a[i]
	h.a[i].heapPos = int32(i + 1)
	h.a[j].heapPos = int32(j + 1)
}

func (h *ttlHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *ttlHeap) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h.a) {
			break
		}
		m := l
		if r := l + 1; r < len(h.a) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

// push adds n, which must not be in the heap.
func (h *ttlHeap) push(n *node) {
	h.a = append(h.a, n)
	n.heapPos = int32(len(h.a))
	h.up(len(h.a) - 1)
}

// remove takes n out of the heap; a node not in it is ignored.
func (h *ttlHeap) remove(n *node) {
	if n.heapPos == 0 {
		return
	}
	i := int(n.heapPos) - 1
	last := len(h.a) - 1
	if i != last {
		h.swap(i, last)
	}
	h.a[last] = nil
	h.a = h.a[:last]
	n.heapPos = 0
	if i != last && !h.down(i) {
		h.up(i)
	}
}

// fix restores the order after n's expire time changed.
func (h *ttlHeap) fix(n *node) {
	i := int(n.heapPos) - 1
	if !h.down(i) {
		h.up(i)
	}
}

// setExpire changes n's expire time and keeps the heap in step: a node gaining a TTL
// enters it, one losing its TTL leaves it, one whose TTL changes is re-keyed.
func (h *ttlHeap) setExpire(n *node, exp int64) {
	switch {
	case exp == 0:
		h.remove(n)
		n.expireTime = 0
	case n.heapPos == 0:
		n.expireTime = exp
		h.push(n)
	default:
		n.expireTime = exp
		h.fix(n)
	}
}
