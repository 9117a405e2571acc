package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// membersDo sends a members API request and returns status and body.
func membersDo(t *testing.T, m *member, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, m.clientURL+"/v2/members"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s /v2/members%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type memberJSON struct {
	ID         string
	Name       string
	PeerURLs   []string
	ClientURLs []string
}

func listMembers(t *testing.T, m *member) []memberJSON {
	t.Helper()
	_, body := membersDo(t, m, "GET", "", "")
	var l struct{ Members []memberJSON }
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatalf("members list %q: %v", body, err)
	}
	return l.Members
}

// TestClusterMembershipChanges adds a fourth member and starts it the way `member add`
// tells operators to, moves its peer URL, removes it, and checks the strict
// reconfiguration refusals.
func TestClusterMembershipChanges(t *testing.T) {
	c := newCluster(t, ourBinary(t), 3)
	c.startAll()
	a := c.members[0]
	put(a, "/before", "x", "")

	// Add: 201 with the new member, unstarted.
	peer4 := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	code, body := membersDo(t, a, "POST", "", `{"peerURLs":["`+peer4+`"]}`)
	if code != 201 {
		t.Fatalf("add = %d %s", code, body)
	}
	var added memberJSON
	json.Unmarshal([]byte(body), &added)
	if added.Name != "" || len(added.ClientURLs) != 0 || added.PeerURLs[0] != peer4 {
		t.Errorf("added member = %s", body)
	}
	if code, body := membersDo(t, a, "POST", "", `{"peerURLs":["`+peer4+`"]}`); code != 409 {
		t.Errorf("adding the same peer URL again = %d %s, want 409", code, body)
	}

	// Start it with the environment `member add` prints.
	var ic []string
	for _, m := range listMembers(t, a) {
		name := m.Name
		if m.ID == added.ID {
			name = "n4"
		}
		ic = append(ic, name+"="+m.PeerURLs[0])
	}
	client4 := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	dir4 := filepath.Join(t.TempDir(), "n4")
	m4 := &member{t: t, bin: ourBinary(t), dataDir: dir4, clientURL: client4,
		args: []string{"--data-dir", dir4, "--listen-client-urls", client4, "--advertise-client-urls", client4,
			"--listen-peer-urls", peer4, "--initial-advertise-peer-urls", peer4},
		env: []string{"ETCD_NAME=n4", "ETCD_INITIAL_CLUSTER=" + strings.Join(ic, ","), "ETCD_INITIAL_CLUSTER_STATE=existing"}}
	m4.startReady()
	var r keysResp
	if code := getJSON(t, m4, "/v2/keys/before?quorum=true", &r); code != 200 || r.Node.Value != "x" {
		t.Errorf("new member reads %d %+v", code, r)
	}
	waitCond(t, 10*time.Second, "n4 to publish its name", func() bool {
		for _, m := range listMembers(t, a) {
			if m.ID == added.ID && m.Name == "n4" && len(m.ClientURLs) == 1 {
				return true
			}
		}
		return false
	})

	// Update its peer URL and restart it there.
	m4.stop()
	peer4b := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	if code, body := membersDo(t, a, "PUT", "/"+added.ID, `{"peerURLs":["`+peer4b+`"]}`); code != 204 {
		t.Fatalf("update = %d %s", code, body)
	}
	if code, _ := membersDo(t, a, "PUT", "/ffff", `{"peerURLs":["http://127.0.0.1:1"]}`); code != 404 {
		t.Errorf("update of unknown member = %d, want 404", code)
	}
	m4.args = []string{"--data-dir", dir4, "--listen-client-urls", client4, "--advertise-client-urls", client4,
		"--listen-peer-urls", peer4b, "--initial-advertise-peer-urls", peer4b}
	m4.startReady()
	if code, body := put(m4, "/via4", "y", ""); code != 201 {
		t.Errorf("write through the moved member = %d %s", code, body)
	}

	// Strict reconfiguration: with a member down, no adds and no removals.
	c.members[2].kill()
	down := memberIDByName(t, a, "n3")
	waitCond(t, 10*time.Second, "n3's stream to close", func() bool { return !peerActive(t, a, down) })
	if code, body := membersDo(t, a, "POST", "", `{"peerURLs":["http://127.0.0.1:1"]}`); code != 500 {
		t.Errorf("add with a member down = %d %s, want 500", code, body)
	}
	c.members[2].startReady()
	waitCond(t, 10*time.Second, "n3 reconnected", func() bool {
		code, _ := membersDo(t, a, "DELETE", "/"+added.ID, "")
		return code == 204
	})

	// The removed member stops by itself, exit code 0.
	if code := m4.wait(20 * time.Second); code != 0 {
		t.Errorf("removed member exit code %d", code)
	}
	if !strings.Contains(m4.out.String(), "removed from the cluster") {
		t.Errorf("removed member did not say why it stopped")
	}
	if code, body := membersDo(t, a, "DELETE", "/"+added.ID, ""); code != 410 {
		t.Errorf("removing it again = %d %s, want 410", code, body)
	}
	if n := len(listMembers(t, a)); n != 3 {
		t.Errorf("%d members after the removal, want 3", n)
	}
}

// TestOneMemberClusterMayAlwaysAddASecond is the strict check's special case.
func TestOneMemberClusterMayAlwaysAddASecond(t *testing.T) {
	m := newMember(t, ourBinary(t), filepath.Join(t.TempDir(), "d"))
	m.startReady()
	code, body := membersDo(t, m, "POST", "", fmt.Sprintf(`{"peerURLs":["http://127.0.0.1:%d"]}`, freePort(t)))
	if code != 201 {
		t.Fatalf("add to a one-member cluster = %d %s", code, body)
	}
	// It has now lost its quorum until the second member starts: adding a third is refused.
	if code, _ := membersDo(t, m, "POST", "", fmt.Sprintf(`{"peerURLs":["http://127.0.0.1:%d"]}`, freePort(t))); code != 500 {
		t.Errorf("third add = %d, want 500", code)
	}
}

// memberIDByName finds a member's hex ID in m's member list.
func memberIDByName(t *testing.T, m *member, name string) string {
	t.Helper()
	for _, x := range listMembers(t, m) {
		if x.Name == name {
			return x.ID
		}
	}
	t.Fatalf("no member named %s", name)
	return ""
}

// peerActive reads m's etcd_network_active_peers gauge for the peer with the given ID.
func peerActive(t *testing.T, m *member, id string) bool {
	t.Helper()
	_, body := m.do("GET", "/metrics", nil)
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "etcd_network_active_peers{") && strings.Contains(line, `Remote="`+id+`"`) {
			return strings.HasSuffix(line, " 1")
		}
	}
	return false
}

// TestClusterForceNewCluster: a member of a stopped three-member cluster restarted with
// --force-new-cluster serves alone, with its data, and accepts writes.
func TestClusterForceNewCluster(t *testing.T) {
	c := newCluster(t, ourBinary(t), 3, "--heartbeat-interval", "20", "--election-timeout", "200")
	c.startAll()
	if code, body := put(c.members[1], "/kept", "v", ""); code != 201 {
		t.Fatalf("put = %d %s", code, body)
	}
	for _, m := range c.members {
		m.stop()
	}
	m := c.members[0]
	m.args = append(m.args, "--force-new-cluster")
	m.startReady()
	if ms := listMembers(t, m); len(ms) != 1 || ms[0].Name != "n1" {
		t.Fatalf("members after --force-new-cluster = %+v, want n1 alone", ms)
	}
	if code, body := m.do("GET", "/v2/keys/kept?quorum=true", nil); code != 200 || !strings.Contains(body, `"value":"v"`) {
		t.Errorf("kept key = %d %s", code, body)
	}
	if code, body := put(m, "/after", "w", ""); code != 201 {
		t.Errorf("write after forcing = %d %s", code, body)
	}
	// Restarting without the flag keeps the one-member configuration.
	m.stop()
	m.args = m.args[:len(m.args)-1]
	m.startReady()
	if ms := listMembers(t, m); len(ms) != 1 {
		t.Errorf("%d members after a plain restart, want 1", len(ms))
	}
	if code, body := put(m, "/again", "x", ""); code != 201 {
		t.Errorf("write after a plain restart = %d %s", code, body)
	}
}
