package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestClusterFollowerCatchesUpByOnDemandSnapshot stops a follower while more entries are
// written than the leader keeps in memory (5000 behind the applied index), with a
// --snapshot-count so large that no periodic snapshot exists: the leader makes a
// snapshot for the returning follower, which installs it and ends with every key.
func TestClusterFollowerCatchesUpByOnDemandSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const writes = 7000
	c := newCluster(t, ourBinary(t), 3, "--snapshot-count", "1000000")
	c.startAll()
	lead := c.leader()
	follower := (lead + 1) % 3
	c.members[follower].kill()

	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= writes {
					return
				}
				if code, body := put(c.members[lead], fmt.Sprintf("/load/k%05d", i), "v", ""); code != 201 {
					failed.Add(1)
					t.Errorf("PUT k%05d = %d %s", i, code, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	if strings.Contains(c.members[lead].out.String(), `"message":"saved snapshot"`) {
		t.Fatalf("leader saved a snapshot before the follower returned; the test needs none")
	}

	c.members[follower].start()
	c.members[follower].waitReady()
	want := storeIndex(t, c.members[lead])
	waitCond(t, 30*time.Second, "follower to catch up", func() bool {
		resp, err := httpClient.Get(c.members[follower].clientURL + "/v2/keys/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		var i uint64
		fmt.Sscan(resp.Header.Get("X-Etcd-Index"), &i)
		return i >= want
	})
	if out := c.members[lead].out.String(); !strings.Contains(out, `"reason":"follower-catch-up"`) {
		t.Errorf("leader did not save a snapshot for the follower")
	}
	if !strings.Contains(c.members[follower].out.String(), "installed snapshot from leader") {
		t.Errorf("follower did not catch up by snapshot")
	}

	var list keysResp
	if code := getJSON(t, c.members[follower], "/v2/keys/load", &list); code != 200 {
		t.Fatalf("GET /v2/keys/load on the follower = %d", code)
	}
	have := map[string]bool{}
	for _, n := range list.Node.Nodes {
		have[n.Key] = true
	}
	for i := range writes {
		if k := fmt.Sprintf("/load/k%05d", i); !have[k] {
			t.Fatalf("follower lacks %s (has %d of %d keys)", k, len(have), writes)
		}
	}

	// The follower keeps serving writes after the snapshot: it continues from the log.
	if code, body := put(c.members[follower], "/after", "snapshot", ""); code != 201 {
		t.Fatalf("PUT through the follower = %d %s", code, body)
	}
}
