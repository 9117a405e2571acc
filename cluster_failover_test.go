package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClusterLeaderKill kills the leader with SIGKILL under a 32-client write load: a new
// leader must appear within three election timeouts, writes must continue, no
// acknowledged write may be lost, and the old leader must catch up after a restart —
// from the log, and (second case) from a snapshot.
func TestClusterLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for _, tc := range []struct {
		name   string
		extra  []string
		writes int // writes after the kill, before the old leader returns
	}{
		{"catch up from the log", nil, 300},
		{"catch up from a snapshot", []string{"--snapshot-count", "1000"}, 7000}, // past the 5000 entries kept behind a snapshot
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, ourBinary(t), 3, tc.extra...)
			c.startAll()
			var mu sync.Mutex
			acked := map[string]bool{}
			ackTimes := []time.Time{}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for cl := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						m := c.members[(cl+i)%3]
						key := fmt.Sprintf("/load/c%d-%d", cl, i)
						if code, _ := put(m, key, "v", ""); code == 201 {
							mu.Lock()
							acked[key] = true
							ackTimes = append(ackTimes, time.Now())
							mu.Unlock()
						}
					}
				}()
			}
			count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
			waitCond(t, 20*time.Second, "writes before the kill", func() bool { return count() >= 200 })

			old := c.leader()
			c.members[old].kill()
			killed := time.Now()
			newLeader := c.leader(old)
			if el := time.Since(killed); el > 3*time.Second+2*time.Second {
				// 3 election timeouts (1 s each) plus the polling slack.
				t.Errorf("new leader after %v", el)
			}
			_ = newLeader
			before := count()
			waitCond(t, 60*time.Second, "writes after the kill", func() bool { return count() >= before+tc.writes })
			mu.Lock()
			var firstAfter time.Time
			for _, at := range ackTimes {
				if at.After(killed) {
					firstAfter = at
					break
				}
			}
			mu.Unlock()
			t.Logf("first write acknowledged %v after the kill", firstAfter.Sub(killed))

			// The old leader comes back and catches up.
			c.members[old].start()
			c.members[old].waitReady()
			close(stop)
			wg.Wait()
			want := storeIndex(t, c.members[newLeader])
			waitCond(t, 30*time.Second, "old leader to catch up", func() bool {
				var r keysResp
				resp, err := httpClient.Get(c.members[old].clientURL + "/v2/keys/")
				if err != nil {
					return false
				}
				resp.Body.Close()
				_ = r
				var i uint64
				fmt.Sscan(resp.Header.Get("X-Etcd-Index"), &i)
				return i >= want
			})
			if len(tc.extra) > 0 && !strings.Contains(c.members[old].out.String(), "installed snapshot from leader") {
				t.Errorf("old leader did not catch up by snapshot")
			}

			// No acknowledged write is lost, on any member.
			for i, m := range c.members {
				var list keysResp
				getJSON(t, m, "/v2/keys/load", &list)
				have := map[string]bool{}
				for _, n := range list.Node.Nodes {
					have[n.Key] = true
				}
				lost := 0
				for k := range acked {
					if !have[k] {
						lost++
					}
				}
				if lost > 0 {
					t.Errorf("member %d lacks %d of %d acknowledged writes", i, lost, len(acked))
				}
			}
		})
	}
}

func waitCond(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
