package stats

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestServerStatsJSON(t *testing.T) {
	c := &fakeClock{t: time.Date(2026, 11, 22, 9, 0, 0, 5, time.UTC)}
	s := NewServerStats("n1", "628170c800dbcee", c.now)
	c.t = c.t.Add(time.Second)
	s.SetState("StateLeader", 0x628170c800dbcee)
	c.t = c.t.Add(79*time.Second + 190*time.Millisecond)

	want := `{"name":"n1","id":"628170c800dbcee","state":"StateLeader","startTime":"2026-11-22T09:00:00.000000005Z",` +
		`"leaderInfo":{"leader":"628170c800dbcee","uptime":"1m19.19s","startTime":"2026-11-22T09:00:01.000000005Z"},` +
		`"recvAppendRequestCnt":0,"sendAppendRequestCnt":0}`
	if got := string(s.JSON()); got != want {
		t.Errorf("JSON() =\n%s\nwant\n%s", got, want)
	}

	// Rates appear once there is traffic in the last second, and vanish after it.
	for i := 0; i < 10; i++ {
		s.SendAppendReq(100)
		c.t = c.t.Add(100 * time.Millisecond)
	}
	var v map[string]any
	if err := json.Unmarshal(s.JSON(), &v); err != nil {
		t.Fatal(err)
	}
	if v["sendAppendRequestCnt"].(float64) != 10 || v["sendPkgRate"] == nil || v["sendBandwidthRate"] == nil {
		t.Errorf("send counters/rates missing: %v", v)
	}
	if _, ok := v["recvPkgRate"]; ok {
		t.Errorf("recvPkgRate present without traffic: %v", v)
	}
	c.t = c.t.Add(2 * time.Second)
	if strings.Contains(string(s.JSON()), "sendPkgRate") {
		t.Errorf("rate still shown after the window: %s", s.JSON())
	}
}

func TestServerStatsFollowerLeaderChange(t *testing.T) {
	c := &fakeClock{t: time.Unix(100, 0).UTC()}
	s := NewServerStats("n2", "2", c.now)
	c.t = c.t.Add(time.Second)
	s.RecvAppendReq("1", 10)
	var v struct {
		State      string `json:"state"`
		LeaderInfo struct {
			Leader    string    `json:"leader"`
			StartTime time.Time `json:"startTime"`
		} `json:"leaderInfo"`
		Recv uint64 `json:"recvAppendRequestCnt"`
	}
	if err := json.Unmarshal(s.JSON(), &v); err != nil {
		t.Fatal(err)
	}
	if v.State != "StateFollower" || v.LeaderInfo.Leader != "1" || !v.LeaderInfo.StartTime.Equal(c.t) || v.Recv != 1 {
		t.Errorf("follower stats = %+v", v)
	}
}

func TestLeaderStats(t *testing.T) {
	l := NewLeaderStats("a")
	if got, want := string(l.JSON()), `{"leader":"a","followers":{}}`; got != want {
		t.Errorf("JSON() = %s, want %s", got, want)
	}
	f := l.Follower("b")
	f.Succ(1 * time.Millisecond)
	f.Succ(3 * time.Millisecond)
	f.Fail()
	l.Follower("c")
	want := `{"leader":"a","followers":{"b":{"latency":{"current":3,"average":2,"standardDeviation":1,"minimum":1,"maximum":3},"counts":{"fail":1,"success":2}},` +
		`"c":{"latency":{"current":0,"average":0,"standardDeviation":0,"minimum":0,"maximum":0},"counts":{"fail":0,"success":0}}}}`
	if got := string(l.JSON()); got != want {
		t.Errorf("JSON() =\n%s\nwant\n%s", got, want)
	}
	l.Reset()
	if got := string(l.JSON()); got != `{"leader":"a","followers":{}}` {
		t.Errorf("after Reset JSON() = %s", got)
	}
}
