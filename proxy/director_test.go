package proxy

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeClock is a Clock advanced by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

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

// noShuffle keeps the given order.
func noShuffle(int, func(i, j int)) {}

// reverseShuffle reverses the order, a stand-in for a random permutation.
func reverseShuffle(n int, swap func(i, j int)) {
	for i := 0; i < n/2; i++ {
		swap(i, n-1-i)
	}
}

func newTestDirector(t *testing.T, clock Clock, wait time.Duration, shuffle func(int, func(i, j int))) *director {
	return &director{failureWait: wait, clock: clock, shuffle: shuffle, lg: zerolog.New(zerolog.NewTestWriter(t))}
}

func availableURLs(d *director) []string {
	var out []string
	for _, ep := range d.available() {
		out = append(out, ep.url.String())
	}
	return out
}

func TestDirectorSetURLs(t *testing.T) {
	tests := []struct {
		name        string
		before      []string
		urls        []string
		shuffle     func(int, func(i, j int))
		wantURLs    []string
		wantChanged bool
	}{
		{"first list", nil, []string{"http://a:1", "http://b:2"}, noShuffle, []string{"http://a:1", "http://b:2"}, true},
		{"shuffled", nil, []string{"http://a:1", "http://b:2", "http://c:3"}, reverseShuffle, []string{"http://c:3", "http://b:2", "http://a:1"}, true},
		{"same set in another order", []string{"http://a:1", "http://b:2"}, []string{"http://b:2", "http://a:1"}, noShuffle, []string{"http://b:2", "http://a:1"}, false},
		{"member added", []string{"http://a:1"}, []string{"http://a:1", "http://b:2"}, noShuffle, []string{"http://a:1", "http://b:2"}, true},
		{"member removed", []string{"http://a:1", "http://b:2"}, []string{"http://a:1"}, noShuffle, []string{"http://a:1"}, true},
		{"cluster unreachable", []string{"http://a:1"}, nil, noShuffle, nil, true},
		{"invalid URLs skipped", nil, []string{"http://a:1", "::bad", "nohost"}, noShuffle, []string{"http://a:1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDirector(t, newFakeClock(), time.Second, noShuffle)
			d.setURLs(tt.before)
			d.shuffle = tt.shuffle
			if got := d.setURLs(tt.urls); got != tt.wantChanged {
				t.Errorf("setURLs(%q) changed = %v, want %v", tt.urls, got, tt.wantChanged)
			}
			if got := availableURLs(d); !slices.Equal(got, tt.wantURLs) {
				t.Errorf("available() = %q, want %q", got, tt.wantURLs)
			}
		})
	}
}

func TestDirectorFailureWait(t *testing.T) {
	clock := newFakeClock()
	d := newTestDirector(t, clock, 5*time.Second, noShuffle)
	d.setURLs([]string{"http://a:1", "http://b:2", "http://c:3"})
	eps := d.available()

	d.failed(eps[0], errors.New("connection refused"))
	if got, want := availableURLs(d), []string{"http://b:2", "http://c:3"}; !slices.Equal(got, want) {
		t.Fatalf("after a failure available() = %q, want %q", got, want)
	}
	clock.Advance(3 * time.Second)
	// A second failure report during the wait (a concurrent request) does not extend it.
	d.failed(eps[0], errors.New("connection refused"))
	d.failed(eps[1], errors.New("i/o timeout"))
	if got, want := availableURLs(d), []string{"http://c:3"}; !slices.Equal(got, want) {
		t.Fatalf("3s later available() = %q, want %q", got, want)
	}
	// A refresh keeps endpoints in their failure wait down.
	d.setURLs([]string{"http://a:1", "http://b:2", "http://c:3", "http://d:4"})
	if got, want := availableURLs(d), []string{"http://c:3", "http://d:4"}; !slices.Equal(got, want) {
		t.Fatalf("after a refresh available() = %q, want %q", got, want)
	}
	clock.Advance(2*time.Second - time.Nanosecond)
	if got, want := availableURLs(d), []string{"http://c:3", "http://d:4"}; !slices.Equal(got, want) {
		t.Fatalf("just before the wait ends available() = %q, want %q", got, want)
	}
	clock.Advance(time.Nanosecond)
	if got, want := availableURLs(d), []string{"http://a:1", "http://c:3", "http://d:4"}; !slices.Equal(got, want) {
		t.Fatalf("when a's wait ends available() = %q, want %q", got, want)
	}
	clock.Advance(3 * time.Second)
	if got, want := availableURLs(d), []string{"http://a:1", "http://b:2", "http://c:3", "http://d:4"}; !slices.Equal(got, want) {
		t.Fatalf("when b's wait ends available() = %q, want %q", got, want)
	}
}

func TestDirectorZeroFailureWait(t *testing.T) {
	d := newTestDirector(t, newFakeClock(), 0, noShuffle)
	d.setURLs([]string{"http://a:1"})
	d.failed(d.available()[0], errors.New("refused"))
	if got := availableURLs(d); len(got) != 1 {
		t.Fatalf("with no failure wait available() = %q, want the endpoint back at once", got)
	}
}
