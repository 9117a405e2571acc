package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeCluster is three fake members over one key space: member 1 leads until it is
// "killed"; then writes fail with 500 until the election pause has passed and member 2
// leads.
type fakeCluster struct {
	keys     *fakeKeys
	killedAt atomic.Int64 // UnixNano, 0 while the first leader lives
	pause    time.Duration
}

func (c *fakeCluster) member(i int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := c.killedAt.Load()
		if k != 0 && i == 1 {
			panic(http.ErrAbortHandler) // a dead member drops connections
		}
		electing := k != 0 && time.Since(time.Unix(0, k)) < c.pause
		if r.URL.Path == "/v2/stats/self" {
			state := "StateFollower"
			if (k == 0 && i == 1) || (k != 0 && !electing && i == 2) {
				state = "StateLeader"
			}
			w.Write([]byte(`{"name":"m","state":"` + state + `"}`))
			return
		}
		if electing && r.Method == http.MethodPut {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out"}`))
			return
		}
		c.keys.ServeHTTP(w, r)
	})
}

func TestFailoverMeasuresTheGapAfterTheLeaderKill(t *testing.T) {
	c := &fakeCluster{keys: newFakeKeys(), pause: 150 * time.Millisecond}
	var eps []string
	for i := range 3 {
		srv := httptest.NewServer(c.member(i))
		t.Cleanup(srv.Close)
		eps = append(eps, srv.URL)
	}
	var killed []int
	res, err := runFailover(context.Background(), failoverConfig{
		Endpoints: eps, PIDs: []int{101, 102, 103}, Clients: 4,
		Warmup: 100 * time.Millisecond, After: 50 * time.Millisecond,
		Timeout: time.Second, Limit: 5 * time.Second, Progress: new(strings.Builder),
		kill: func(pid int) error {
			killed = append(killed, pid)
			c.killedAt.Store(time.Now().UnixNano())
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(killed) != 1 || killed[0] != 102 || res.Leader != 1 {
		t.Fatalf("killed %v (leader index %d), want pid 102 of member 1", killed, res.Leader)
	}
	if res.NewLeader != 2 {
		t.Errorf("new leader %d, want 2", res.NewLeader)
	}
	if res.FirstAfter < c.pause || res.Gap < res.FirstAfter || res.LastBefore < 0 {
		t.Errorf("first ack after %v, gap %v, last before %v: want the gap to cover the %v pause", res.FirstAfter, res.Gap, res.LastBefore, c.pause)
	}
	if res.WritesAfter == 0 || res.Errors == 0 {
		t.Errorf("writes after %d, errors %d: want writes to resume after failures", res.WritesAfter, res.Errors)
	}
}

func TestFailoverRefusesTooFewMembers(t *testing.T) {
	_, err := runFailover(context.Background(), failoverConfig{Endpoints: []string{"http://a", "http://b"}, PIDs: []int{1, 2}})
	if err == nil || !strings.Contains(err.Error(), "at least 3") {
		t.Errorf("err = %v, want a refusal of 2 members", err)
	}
}
