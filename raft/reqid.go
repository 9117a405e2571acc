package raft

import (
	"sync/atomic"
	"time"
)

// reqIDGenerator hands out request IDs that are unique across members and restarts:
// the top 16 bits are the low bits of the member ID, the next 40 bits the start time in
// milliseconds and the last 8 bits a counter that carries into the time bits. A restart
// starts from a later millisecond, and unless a member proposed more than 256 requests per
// millisecond of its previous lifetime the ranges cannot meet.
type reqIDGenerator struct {
	prefix uint64
	next   atomic.Uint64 // low 48 bits: time<<8 | counter
}

const (
	reqIDSuffixBits = 48
	reqIDCountBits  = 8
	reqIDSuffixMask = 1<<reqIDSuffixBits - 1
)

func newReqIDGenerator(memberID uint64, now time.Time) *reqIDGenerator {
	g := &reqIDGenerator{prefix: memberID << reqIDSuffixBits}
	ms := uint64(now.UnixMilli()) & (1<<(reqIDSuffixBits-reqIDCountBits) - 1)
	g.next.Store(ms << reqIDCountBits)
	return g
}

// id returns the next request ID. It is never 0 in practice, which is reserved for
// entries nobody waits for.
func (g *reqIDGenerator) id() uint64 {
	return g.prefix | (g.next.Add(1) & reqIDSuffixMask)
}
