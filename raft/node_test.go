package raft

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/store"
)

// testMember starts a one-member cluster in dir and waits until it is ready.
func testMember(t testing.TB, dir string, mod func(*Config)) *Node {
	t.Helper()
	peer := []string{"http://127.0.0.1:2380"}
	id := members.MemberID(peer, "test", nil)
	cfg := Config{
		Logger:         zerolog.New(zerolog.NewTestWriter(t)),
		Store:          store.New(store.WithNamespaces("/0", "/1")),
		Name:           "m1",
		PeerURLs:       peer,
		ClientURLs:     []string{"http://127.0.0.1:2379"},
		MemberDir:      filepath.Join(dir, "member"),
		TickInterval:   10 * time.Millisecond,
		HeartbeatTicks: 1,
		ElectionTicks:  10,
		SweepInterval:  20 * time.Millisecond,
		Bootstrap: Bootstrap{MemberID: id, ClusterID: members.ClusterID([]members.ID{id}),
			Members: []members.Member{{ID: id, Name: "m1", PeerURLs: peer}}},
	}
	if mod != nil {
		mod(&cfg)
	}
	n, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(n.Stop)
	select {
	case <-n.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("member not ready within 10s")
	}
	return n
}

func set(t testing.TB, n *Node, key, value string) *store.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := n.Do(ctx, &store.Command{Op: store.OpSet, Key: key, Value: value})
	if err != nil {
		t.Fatalf("Do(set %s): %v", key, err)
	}
	return ev
}

func TestFirstUserWriteGetsIndex4(t *testing.T) {
	n := testMember(t, t.TempDir(), nil)
	// Three internal writes come first, as in the reference: raftAttributes, attributes,
	// cluster version (SPEC §2.10).
	if ev := set(t, n, "/1/message", "Hello world"); ev.Index() != 4 {
		t.Errorf("first user write index = %d, want 4", ev.Index())
	}
	ms := n.Members()
	if len(ms) != 1 || ms[0].Name != "m1" || ms[0].ClientURLs[0] != "http://127.0.0.1:2379" {
		t.Errorf("Members() = %+v", ms)
	}
	if n.ClusterVersion() != "3.4.0" || n.Leader() != n.ID() || !n.IsLeader() {
		t.Errorf("version %q leader %s id %s", n.ClusterVersion(), n.Leader(), n.ID())
	}
}

func TestStoreErrorsComeBackTyped(t *testing.T) {
	n := testMember(t, t.TempDir(), nil)
	_, err := n.Do(context.Background(), &store.Command{Op: store.OpUpdate, Key: "/1/missing", Value: "x"})
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.CodeKeyNotFound {
		t.Fatalf("Do(update missing) error = %v, want code 100", err)
	}
}

func TestRestartKeepsDataAndPublishesAgain(t *testing.T) {
	dir := t.TempDir()
	n := testMember(t, dir, nil)
	for i := range 50 {
		set(t, n, fmt.Sprintf("/1/k%d", i), "v")
	}
	idx := n.cfg.Store.Index()
	n.Stop()

	n2 := testMember(t, dir, func(c *Config) { c.Bootstrap = Bootstrap{} })
	if got := n2.cfg.Store.Index(); got != idx+1 {
		// Every start publishes the member's attributes again (one more index).
		t.Errorf("index after restart = %d, want %d", got, idx+1)
	}
	ev, err := n2.cfg.Store.Get("/1/k49", false, false)
	if err != nil || ev.Node.Value != "v" {
		t.Fatalf("Get after restart = %v, %v", ev, err)
	}
	if n2.ID() != n.ID() || n2.ClusterID() != n.ClusterID() {
		t.Errorf("identity changed across restart")
	}
}

func TestSnapshotAndRecoveryFromIt(t *testing.T) {
	dir := t.TempDir()
	n := testMember(t, dir, func(c *Config) {
		c.SnapshotCount = 20
		c.CatchUpEntries = 5
		c.MaxSnapshots = 2
	})
	for i := range 100 {
		set(t, n, fmt.Sprintf("/1/k%d", i), fmt.Sprint(i))
	}
	n.Stop()
	snaps, _ := filepath.Glob(filepath.Join(dir, "member", "snap", "*.snap"))
	if len(snaps) == 0 || len(snaps) > 2 {
		t.Fatalf("snapshot files = %v, want 1..2 (max-snapshots 2)", snaps)
	}
	n2 := testMember(t, dir, func(c *Config) { c.Bootstrap = Bootstrap{} })
	if n2.snapshotIndex == 0 {
		t.Errorf("restart did not start from a snapshot")
	}
	for _, k := range []string{"/1/k0", "/1/k57", "/1/k99"} {
		if _, err := n2.cfg.Store.Get(k, false, false); err != nil {
			t.Errorf("Get(%s) after snapshot restart: %v", k, err)
		}
	}
}

func TestLeaderSweepsExpiredKeys(t *testing.T) {
	clock := time.Now()
	n := testMember(t, t.TempDir(), nil)
	exp := clock.Add(-time.Second).UnixNano() // already due
	if _, err := n.Do(context.Background(), &store.Command{Op: store.OpSet, Key: "/1/ttl", Value: "x", Expiration: exp}); err != nil {
		t.Fatal(err)
	}
	w, err := n.cfg.Store.Watch("/1/ttl", false, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.EventChan():
		if ev.Action != store.ActionExpire {
			t.Errorf("event %s, want expire", ev.Action)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("key not expired within 5s")
	}
}

func TestLinearizableRead(t *testing.T) {
	n := testMember(t, t.TempDir(), nil)
	set(t, n, "/1/a", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 20 {
		if err := n.LinearizableRead(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n.AppliedIndex() < n.CommittedIndex() {
		t.Errorf("applied %d behind committed %d after a linearizable read", n.AppliedIndex(), n.CommittedIndex())
	}
}

func TestCallerDeadlineIsATimeout(t *testing.T) {
	n := testMember(t, t.TempDir(), nil)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := n.Do(ctx, &store.Command{Op: store.OpSet, Key: "/1/x"})
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || err.Error() != "etcdserver: request timed out" {
		t.Errorf("Do with expired deadline = %v, want the reference's timeout", err)
	}
	if n.waits.len() != 0 {
		t.Errorf("%d waiters left behind", n.waits.len())
	}
}

func TestStoppedMemberRefuses(t *testing.T) {
	n := testMember(t, t.TempDir(), nil)
	n.Stop()
	n.Stop() // idempotent
	_, err := n.Do(context.Background(), &store.Command{Op: store.OpSet, Key: "/1/x"})
	if !errors.Is(err, ErrStopped) {
		t.Errorf("Do after Stop = %v, want ErrStopped", err)
	}
}

func TestDataDirLockedBySecondMember(t *testing.T) {
	dir := t.TempDir()
	testMember(t, dir, nil)
	cfg := Config{Logger: zerolog.Nop(), Store: store.New(), MemberDir: filepath.Join(dir, "member"),
		TickInterval: 10 * time.Millisecond, HeartbeatTicks: 1, ElectionTicks: 10}
	if _, err := Start(cfg); err == nil {
		t.Fatal("second Start on a live data dir succeeded")
	}
}
