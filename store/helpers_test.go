package store

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock advanced by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// exp returns the expiration of a TTL given now.
func (c *fakeClock) exp(ttl uint64) int64 { return ExpirationFromTTL(c.Now(), ttl) }

// newTestStore returns a store with the server's namespaces and a fake clock.
func newTestStore(opts ...Option) (*Store, *fakeClock) {
	clk := newFakeClock()
	opts = append([]Option{WithNamespaces("/0", "/1"), WithClock(clk)}, opts...)
	return New(opts...), clk
}

// mustApply applies cmd and fails the test on error.
func mustApply(t testing.TB, s *Store, cmd Command) *Event {
	t.Helper()
	e, err := s.Apply(&cmd)
	if err != nil {
		t.Fatalf("Apply(%+v) = %v", cmd, err)
	}
	return e
}

// set is a shorthand for a plain set of a file.
func set(t testing.TB, s *Store, key, value string) *Event {
	t.Helper()
	return mustApply(t, s, Command{Op: OpSet, Key: key, Value: value})
}

// codeOf returns the code of a store error, 0 for nil, -1 for a non-*Error.
func codeOf(err error) Code {
	if err == nil {
		return 0
	}
	var se *Error
	if !errors.As(err, &se) {
		return -1
	}
	return se.Code
}

// eventJSON encodes e with the user namespace trimmed, without the trailing newline.
func eventJSON(e *Event) string {
	b := e.AppendJSON(nil, "/1")
	return string(b[:len(b)-1])
}
