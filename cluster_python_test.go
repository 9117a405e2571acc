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

// TestPythonClientFlow follows python-etcd's test suite: three members started with
// single-dash flags, then /v2/machines, /v2/members/leader, and set/get/watch through the
// first member.
func TestPythonClientFlow(t *testing.T) {
	bin := ourBinary(t)
	dir := t.TempDir()
	var peers, clients, ic []string
	for i := range 3 {
		peers = append(peers, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
		clients = append(clients, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
		ic = append(ic, fmt.Sprintf("test-node-%d=%s", i, peers[i]))
	}
	var ms []*member
	for i := range 3 {
		d := filepath.Join(dir, fmt.Sprint(i))
		m := &member{t: t, bin: bin, dataDir: d, clientURL: clients[i], args: []string{
			"-name", fmt.Sprintf("test-node-%d", i), "-data-dir", d,
			"-initial-advertise-peer-urls", peers[i], "-listen-peer-urls", peers[i],
			"-advertise-client-urls", clients[i], "-listen-client-urls", clients[i],
			"-initial-cluster", strings.Join(ic, ","), "-initial-cluster-state", "new",
		}}
		m.start()
		ms = append(ms, m)
	}
	for _, m := range ms {
		m.waitReady()
	}
	a := ms[0]
	resp, err := http.Get(a.clientURL + "/v2/machines")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, c := range clients {
		if !strings.Contains(string(b), c) {
			t.Errorf("/v2/machines = %q lacks %s", b, c)
		}
	}
	if n := strings.Count(string(b), ", "); n != 2 {
		t.Errorf("/v2/machines = %q, want three URLs joined by \", \"", b)
	}
	var leader struct {
		Name       string
		ClientURLs []string
	}
	getJSON(t, a, "/v2/members/leader", &leader)
	if !strings.HasPrefix(leader.Name, "test-node-") || len(leader.ClientURLs) != 1 {
		t.Errorf("leader = %+v", leader)
	}

	if code, body := put(a, "/testkey", "test", ""); code != 201 {
		t.Fatalf("set = %d %s", code, body)
	}
	var r keysResp
	if getJSON(t, a, "/v2/keys/testkey", &r); r.Node.Value != "test" {
		t.Errorf("get = %+v", r)
	}
	next := storeIndex(t, a) + 1
	got := make(chan keysResp, 1)
	go func() {
		var r keysResp
		resp, err := http.Get(fmt.Sprintf("%s/v2/keys/testkey?wait=true&waitIndex=%d", a.clientURL, next))
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
		}
		got <- r
	}()
	put(ms[2], "/testkey", "changed", "")
	select {
	case r := <-got:
		if r.Node.Value != "changed" {
			t.Errorf("watch = %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch saw nothing")
	}
}
