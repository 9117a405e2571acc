package stats

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
)

// LeaderStats are the leader's view of its followers (/v2/stats/leader).
type LeaderStats struct {
	mu        sync.Mutex
	leader    string
	followers map[string]*FollowerStats
}

// NewLeaderStats starts the leader statistics of member id (hex).
func NewLeaderStats(id string) *LeaderStats {
	return &LeaderStats{leader: id, followers: map[string]*FollowerStats{}}
}

// Follower returns the statistics of follower id (hex), creating them on first use.
func (l *LeaderStats) Follower(id string) *FollowerStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.followers[id]
	if !ok {
		f = &FollowerStats{}
		f.latency.Minimum = math.MaxFloat64
		l.followers[id] = f
	}
	return f
}

// Remove forgets follower id (a removed member).
func (l *LeaderStats) Remove(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.followers, id)
}

// Reset clears every follower's statistics (a new term of leadership).
func (l *LeaderStats) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.followers = map[string]*FollowerStats{}
}

// FollowerStats are the round-trip latency and delivery counts of one follower.
type FollowerStats struct {
	mu            sync.Mutex
	latency       latencyJSON
	averageSquare float64
	counts        countsJSON
}

type latencyJSON struct {
	Current           float64 `json:"current"`
	Average           float64 `json:"average"`
	StandardDeviation float64 `json:"standardDeviation"`
	Minimum           float64 `json:"minimum"`
	Maximum           float64 `json:"maximum"`
}

type countsJSON struct {
	Fail    uint64 `json:"fail"`
	Success uint64 `json:"success"`
}

// Succ records a successful round trip that took d.
func (f *FollowerStats) Succ(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := float64(f.counts.Success)
	total, totalSquare := n*f.latency.Average, n*f.averageSquare
	f.counts.Success++
	cur := float64(d) / float64(time.Millisecond)
	f.latency.Current = cur
	f.latency.Maximum = math.Max(f.latency.Maximum, cur)
	f.latency.Minimum = math.Min(f.latency.Minimum, cur)
	n++
	f.latency.Average = (total + cur) / n
	f.averageSquare = (totalSquare + cur*cur) / n
	f.latency.StandardDeviation = math.Sqrt(math.Max(0, f.averageSquare-f.latency.Average*f.latency.Average))
}

// Fail records a failed delivery.
func (f *FollowerStats) Fail() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts.Fail++
}

type followerJSON struct {
	Latency latencyJSON `json:"latency"`
	Counts  countsJSON  `json:"counts"`
}

// JSON is the /v2/stats/leader body (no trailing newline); followers appear sorted by ID
// (encoding/json sorts map keys).
func (l *LeaderStats) JSON() []byte {
	l.mu.Lock()
	ids := make([]string, 0, len(l.followers))
	for id := range l.followers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := struct {
		Leader    string                  `json:"leader"`
		Followers map[string]followerJSON `json:"followers"`
	}{Leader: l.leader, Followers: make(map[string]followerJSON, len(ids))}
	for _, id := range ids {
		f := l.followers[id]
		f.mu.Lock()
		fj := followerJSON{Latency: f.latency, Counts: f.counts}
		f.mu.Unlock()
		if fj.Counts.Success == 0 {
			fj.Latency.Minimum = 0
		}
		out.Followers[id] = fj
	}
	l.mu.Unlock()
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b
}

func hexID(id uint64) string { return strconv.FormatUint(id, 16) }
