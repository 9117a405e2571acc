package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	clientv2 "go.etcd.io/etcd/client/v2"
)

// TestOfficialGoV2Client drives the server with go.etcd.io/etcd/client/v2, the client
// most Go programs of the v2 era use.
func TestOfficialGoV2Client(t *testing.T) {
	m := newMember(t, ourBinary(t), filepath.Join(t.TempDir(), "d"))
	m.startReady()
	c, err := clientv2.New(clientv2.Config{Endpoints: []string{m.clientURL}, HeaderTimeoutPerRequest: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if eps := c.Endpoints(); len(eps) != 1 || eps[0] != m.clientURL {
		t.Errorf("endpoints after sync = %v, want [%s]", eps, m.clientURL)
	}
	kapi := clientv2.NewKeysAPI(c)

	resp, err := kapi.Set(ctx, "/foo", "bar", nil)
	if err != nil || resp.Action != "set" || resp.Node.Value != "bar" || resp.Index != resp.Node.ModifiedIndex {
		t.Fatalf("Set = %+v, %v", resp, err)
	}
	if _, err := kapi.Set(ctx, "/foo", "x", &clientv2.SetOptions{PrevExist: clientv2.PrevNoExist}); !clientv2.IsKeyNotFound(err) {
		if e, ok := err.(clientv2.Error); !ok || e.Code != clientv2.ErrorCodeNodeExist {
			t.Errorf("create over existing = %v, want 105", err)
		}
	}
	got, err := kapi.Get(ctx, "/foo", nil)
	if err != nil || got.Node.Value != "bar" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := kapi.Get(ctx, "/nokey", nil); !clientv2.IsKeyNotFound(err) {
		t.Errorf("Get missing = %v, want key not found", err)
	}

	// A watch sees a later write.
	w := kapi.Watcher("/foo", &clientv2.WatcherOptions{AfterIndex: got.Index})
	done := make(chan *clientv2.Response, 1)
	go func() {
		r, err := w.Next(ctx)
		if err != nil {
			t.Errorf("watch: %v", err)
		}
		done <- r
	}()
	if _, err := kapi.Set(ctx, "/foo", "baz", &clientv2.SetOptions{PrevValue: "bar"}); err != nil {
		t.Fatalf("CAS: %v", err)
	}
	select {
	case r := <-done:
		if r == nil || r.Action != "compareAndSwap" || r.Node.Value != "baz" || r.PrevNode.Value != "bar" {
			t.Errorf("watch event = %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("watch got nothing")
	}

	// In-order creation gives increasing keys.
	a, err := kapi.CreateInOrder(ctx, "/queue", "job1", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := kapi.CreateInOrder(ctx, "/queue", "job2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !(a.Node.Key < b.Node.Key) || len(a.Node.Key) != len("/queue/")+20 {
		t.Errorf("in-order keys %s, %s", a.Node.Key, b.Node.Key)
	}
	list, err := kapi.Get(ctx, "/queue", &clientv2.GetOptions{Sort: true, Recursive: true})
	if err != nil || len(list.Node.Nodes) != 2 || list.Node.Nodes[0].Value != "job1" {
		t.Errorf("queue listing = %+v, %v", list, err)
	}

	// TTL: shown, then expired by the leader's sweep.
	ttl, err := kapi.Set(ctx, "/lock", "me", &clientv2.SetOptions{TTL: time.Second})
	if err != nil || ttl.Node.TTL != 1 || ttl.Node.Expiration == nil {
		t.Fatalf("Set with TTL = %+v, %v", ttl, err)
	}
	ew := kapi.Watcher("/lock", &clientv2.WatcherOptions{AfterIndex: ttl.Index})
	ev, err := ew.Next(ctx)
	if err != nil || ev.Action != "expire" {
		t.Fatalf("expiry event = %+v, %v", ev, err)
	}
	if _, err := kapi.Get(ctx, "/lock", nil); !clientv2.IsKeyNotFound(err) {
		t.Errorf("Get after expiry = %v", err)
	}

	// Members API through the same client.
	ms, err := clientv2.NewMembersAPI(c).List(ctx)
	if err != nil || len(ms) != 1 || ms[0].Name != "m1" {
		t.Errorf("members = %+v, %v", ms, err)
	}
}
