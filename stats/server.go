package stats

import (
	"encoding/json"
	"sync"
	"time"
)

// ServerStats are this member's statistics (/v2/stats/self).
type ServerStats struct {
	now func() time.Time

	mu          sync.Mutex
	name, id    string
	state       string
	startTime   time.Time
	leader      string
	leaderStart time.Time
	recvCount   uint64
	sendCount   uint64
	recv, send  rateWindow
}

// NewServerStats starts the statistics of member id (hex) named name.
func NewServerStats(name, id string, now func() time.Time) *ServerStats {
	return &ServerStats{
		now: now, name: name, id: id, state: "StateFollower", startTime: now(),
		recv: newRateWindow(), send: newRateWindow(),
	}
}

// SetState records the raft role ("StateLeader", …) and the leader's ID; a new leader
// restarts the leader uptime.
func (s *ServerStats) SetState(state string, leader uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = state
	lead := ""
	if leader != 0 {
		lead = hexID(leader)
	}
	if lead != s.leader {
		s.leader, s.leaderStart = lead, s.now()
	}
}

// RecvAppendReq counts an append request of size bytes received from the leader.
func (s *ServerStats) RecvAppendReq(leader string, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recvCount++
	s.recv.add(s.now(), size)
	if leader != s.leader {
		s.leader, s.leaderStart = leader, s.now()
	}
}

// SendAppendReq counts an append request of size bytes sent to a follower.
func (s *ServerStats) SendAppendReq(size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendCount++
	s.send.add(s.now(), size)
}

type leaderInfo struct {
	Leader    string    `json:"leader"`
	Uptime    string    `json:"uptime"`
	StartTime time.Time `json:"startTime"`
}

type selfJSON struct {
	Name                 string     `json:"name"`
	ID                   string     `json:"id"`
	State                string     `json:"state"`
	StartTime            time.Time  `json:"startTime"`
	LeaderInfo           leaderInfo `json:"leaderInfo"`
	RecvAppendRequestCnt uint64     `json:"recvAppendRequestCnt"`
	RecvPkgRate          float64    `json:"recvPkgRate,omitempty"`
	RecvBandwidthRate    float64    `json:"recvBandwidthRate,omitempty"`
	SendAppendRequestCnt uint64     `json:"sendAppendRequestCnt"`
	SendPkgRate          float64    `json:"sendPkgRate,omitempty"`
	SendBandwidthRate    float64    `json:"sendBandwidthRate,omitempty"`
}

// JSON is the /v2/stats/self body (no trailing newline).
func (s *ServerStats) JSON() []byte {
	s.mu.Lock()
	now := s.now()
	v := selfJSON{
		Name: s.name, ID: s.id, State: s.state, StartTime: s.startTime,
		LeaderInfo:           leaderInfo{Leader: s.leader, Uptime: now.Sub(s.leaderStart).String(), StartTime: s.leaderStart},
		RecvAppendRequestCnt: s.recvCount,
		SendAppendRequestCnt: s.sendCount,
	}
	v.RecvPkgRate, v.RecvBandwidthRate = s.recv.rate(now)
	v.SendPkgRate, v.SendBandwidthRate = s.send.rate(now)
	s.mu.Unlock()
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain strings, numbers and times always marshal
	}
	return b
}
