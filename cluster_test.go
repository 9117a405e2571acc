package main

// Process-level tests of multi-member clusters on 127.0.0.1 (issue #4).

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// cluster is n members started with static bootstrap flags.
type cluster struct {
	t       *testing.T
	members []*member
	names   []string
	peers   []string
}

// newCluster prepares (does not start) n members of one cluster.
func newCluster(t *testing.T, bin string, n int, extra ...string) *cluster {
	c := &cluster{t: t}
	dir := t.TempDir()
	var clients []string
	for i := range n {
		c.names = append(c.names, fmt.Sprintf("n%d", i+1))
		c.peers = append(c.peers, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
		clients = append(clients, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
	}
	var ic []string
	for i := range n {
		ic = append(ic, c.names[i]+"="+c.peers[i])
	}
	for i := range n {
		args := []string{
			"--name", c.names[i], "--data-dir", filepath.Join(dir, c.names[i]),
			"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
			"--listen-peer-urls", c.peers[i], "--initial-advertise-peer-urls", c.peers[i],
			"--initial-cluster", strings.Join(ic, ","), "--initial-cluster-token", "tok-" + t.Name(),
			"--initial-cluster-state", "new",
		}
		if bin == "etcd" {
			args = append(args, "--enable-v2")
		}
		c.members = append(c.members, &member{t: t, bin: bin, args: append(args, extra...),
			dataDir: filepath.Join(dir, c.names[i]), clientURL: clients[i]})
	}
	return c
}

// startAll starts every member concurrently (they need each other to elect a leader) and
// waits until all serve.
func (c *cluster) startAll() {
	c.t.Helper()
	for _, m := range c.members {
		m.start()
	}
	for _, m := range c.members {
		m.waitReady()
	}
}

// leader returns the index of the current leader, asking the live members.
func (c *cluster) leader(skip ...int) int {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for i, m := range c.members {
			if contains(skip, i) {
				continue
			}
			resp, err := httpClient.Get(m.clientURL + "/v2/members/leader")
			if err != nil {
				continue
			}
			var l struct{ Name string }
			json.NewDecoder(resp.Body).Decode(&l)
			resp.Body.Close()
			for j, n := range c.names {
				if n == l.Name && !contains(skip, j) {
					return j
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no leader within 20s")
	return -1
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// put writes key=value through m and reports the HTTP status (0 on a transport error).
func put(m *member, key, value string, q string) (int, string) {
	req, _ := http.NewRequest("PUT", m.clientURL+"/v2/keys"+key+q, strings.NewReader("value="+url.QueryEscape(value)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// getJSON reads a keys response into v.
func getJSON(t *testing.T, m *member, path string, v any) int {
	t.Helper()
	resp, err := httpClient.Get(m.clientURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(v)
	return resp.StatusCode
}

type keysResp struct {
	Action string
	Node   struct {
		Key, Value    string
		ModifiedIndex uint64
		Nodes         []struct{ Key, Value string }
	}
}

func TestClusterIDsMatchReference(t *testing.T) {
	if !referenceInstalled() {
		t.Skip("reference etcd not installed")
	}
	// The same flags (names, URLs, token) must give the same member and cluster IDs.
	ours := newCluster(t, ourBinary(t), 3)
	ours.startAll()
	oursMembers, oursCID := membersAndCluster(t, ours.members[0])
	for _, m := range ours.members {
		m.kill()
	}
	ref := newCluster(t, "etcd", 3)
	for i, m := range ref.members {
		// Reuse our flags (ports, token) with fresh data dirs.
		m.args = append(append([]string{}, ours.members[i].args...), "--enable-v2")
		m.args[3] = filepath.Join(t.TempDir(), "ref")
		m.clientURL = ours.members[i].clientURL
	}
	ref.startAll()
	refMembers, refCID := membersAndCluster(t, ref.members[0])
	if oursCID != refCID {
		t.Errorf("cluster ID %s, reference %s", oursCID, refCID)
	}
	if oursMembers != refMembers {
		t.Errorf("members differ:\nours %s\nref  %s", oursMembers, refMembers)
	}
}

// storeIndex is X-Etcd-Index of a quorum read of the root on m.
func storeIndex(t *testing.T, m *member) uint64 {
	t.Helper()
	resp, err := httpClient.Get(m.clientURL + "/v2/keys/?quorum=true")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var i uint64
	fmt.Sscan(resp.Header.Get("X-Etcd-Index"), &i)
	return i
}

func referenceInstalled() bool {
	_, err := lookPath("etcd")
	return err == nil
}

func membersAndCluster(t *testing.T, m *member) (string, string) {
	t.Helper()
	resp, err := httpClient.Get(m.clientURL + "/v2/members")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.Header.Get("X-Etcd-Cluster-Id")
}

func TestClusterReadsWritesAndWatchesAcrossMembers(t *testing.T) {
	c := newCluster(t, ourBinary(t), 3)
	c.startAll()
	a, b, cc := c.members[0], c.members[1], c.members[2]

	// The first user write comes after 2N+1 internal writes.
	if code, body := put(a, "/first", "x", ""); code != 201 || !strings.Contains(body, `"modifiedIndex":8`) {
		t.Errorf("first write = %d %s, want index 8", code, body)
	}
	// A write through any member is read back from every member: each write blocks until
	// it is applied on the member that took it, and a quorum read anywhere sees it.
	for i, w := range c.members {
		key := fmt.Sprintf("/from/%d", i)
		if code, body := put(w, key, "v", ""); code != 201 {
			t.Fatalf("PUT via member %d = %d %s", i, code, body)
		}
		var r keysResp
		if code := getJSON(t, w, "/v2/keys"+key, &r); code != 200 {
			t.Errorf("read-your-write on member %d = %d", i, code)
		}
		for j, rd := range c.members {
			var r keysResp
			if code := getJSON(t, rd, "/v2/keys"+key+"?quorum=true", &r); code != 200 || r.Node.Value != "v" {
				t.Errorf("quorum read of %s on member %d = %d %+v", key, j, code, r)
			}
		}
	}

	// A watch on member C sees a write made on member A. Watching from the next index
	// makes the outcome independent of whether the watch registers before the write.
	next := storeIndex(t, cc) + 1
	watch := make(chan keysResp, 1)
	go func() {
		var r keysResp
		resp, err := http.Get(fmt.Sprintf("%s/v2/keys/watched?wait=true&waitIndex=%d", cc.clientURL, next))
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
		}
		watch <- r
	}()
	put(a, "/watched", "hello", "")
	select {
	case r := <-watch:
		if r.Action != "set" || r.Node.Value != "hello" {
			t.Errorf("watch on C = %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch on C saw nothing")
	}

	// In-order POSTs from three members at once: distinct, increasing keys.
	var mu sync.Mutex
	var keys []string
	var wg sync.WaitGroup
	for _, m := range []*member{a, b, cc} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				req, _ := http.NewRequest("POST", m.clientURL+"/v2/keys/queue", strings.NewReader("value=j"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := httpClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var r keysResp
				json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				mu.Lock()
				keys = append(keys, r.Node.Key)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var list keysResp
	getJSON(t, a, "/v2/keys/queue?sorted=true&quorum=true", &list)
	if len(list.Node.Nodes) != 60 {
		t.Fatalf("queue has %d entries, want 60", len(list.Node.Nodes))
	}
	seen := map[string]bool{}
	for i, n := range list.Node.Nodes {
		if seen[n.Key] || (i > 0 && n.Key <= list.Node.Nodes[i-1].Key) {
			t.Errorf("queue keys not distinct and increasing at %d: %s", i, n.Key)
		}
		seen[n.Key] = true
	}
	for _, k := range keys {
		if !seen[k] {
			t.Errorf("POST answered %s but the queue lacks it", k)
		}
	}

	// Leader stats on the leader, 403 elsewhere.
	l := c.leader()
	for i, m := range c.members {
		resp, err := httpClient.Get(m.clientURL + "/v2/stats/leader")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if i == l && (resp.StatusCode != 200 || !strings.Contains(string(b), `"followers":{"`)) {
			t.Errorf("leader stats on leader = %d %s", resp.StatusCode, b)
		}
		if i != l && resp.StatusCode != 403 {
			t.Errorf("leader stats on follower %d = %d", i, resp.StatusCode)
		}
	}
}
