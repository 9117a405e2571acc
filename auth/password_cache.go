package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
)

// verifiedCacheSize bounds how many verified credentials a member remembers.
const verifiedCacheSize = 4096

// verifiedCache remembers credentials that passed a bcrypt check, so a client that sends
// the same Basic credentials with every request (as v2 clients do) pays for bcrypt once
// instead of on every request (the reference pays every time: about 50 ms of CPU at the
// default cost). Entries are keyed by an HMAC, under a random key of this process, of the
// user name, the stored bcrypt hash and the password: a changed password (new hash) or a
// deleted user never matches an old entry, failures are never remembered, and the process
// holds no password or fast-to-attack password hash in memory.
type verifiedCache struct {
	mu     sync.Mutex
	max    int
	secret [32]byte
	seen   map[[sha256.Size]byte]struct{}
}

func newVerifiedCache(max int) *verifiedCache {
	c := &verifiedCache{max: max, seen: make(map[[sha256.Size]byte]struct{})}
	if _, err := rand.Read(c.secret[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return c
}

// key derives the cache key of one credential check.
func (c *verifiedCache) key(user, storedHash, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.secret[:])
	for _, f := range []string{user, storedHash, password} {
		writeField(m, f)
	}
	var k [sha256.Size]byte
	m.Sum(k[:0])
	return k
}

// writeField writes f length-prefixed, so that field boundaries cannot be shifted.
func writeField(h hash.Hash, f string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(f)))
	h.Write(n[:])
	h.Write([]byte(f))
}

func (c *verifiedCache) has(k [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.seen[k]
	return ok
}

// add remembers k; a full cache starts over rather than tracking ages.
func (c *verifiedCache) add(k [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) >= c.max {
		clear(c.seen)
	}
	c.seen[k] = struct{}{}
}

func (c *verifiedCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
