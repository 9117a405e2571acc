package transport

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// fakeRaft records what the transport delivers and reports.
type fakeRaft struct {
	mu          sync.Mutex
	msgs        []raftpb.Message
	unreachable map[uint64]int
	snapStatus  []etcdraft.SnapshotStatus
	removed     map[uint64]bool
}

func newFakeRaft() *fakeRaft {
	return &fakeRaft{unreachable: map[uint64]int{}, removed: map[uint64]bool{}}
}

func (f *fakeRaft) Process(_ context.Context, m raftpb.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, m)
	return nil
}
func (f *fakeRaft) IsRemoved(id uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.removed[id]
}
func (f *fakeRaft) ReportUnreachable(id uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unreachable[id]++
}
func (f *fakeRaft) ReportSnapshot(_ uint64, s etcdraft.SnapshotStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapStatus = append(f.snapStatus, s)
}
func (f *fakeRaft) received() []raftpb.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]raftpb.Message(nil), f.msgs...)
}
func (f *fakeRaft) unreachableCount(id uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.unreachable[id]
}

// node is a transport with its own peer listener.
type node struct {
	id   uint64
	raft *fakeRaft
	tr   *Transport
	srv  *httptest.Server
	url  string
}

func newNode(t *testing.T, id, cluster uint64, ln net.Listener) *node {
	t.Helper()
	n := &node{id: id, raft: newFakeRaft()}
	n.tr = New(Config{ID: id, ClusterID: cluster, Raft: n.raft, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	n.srv = httptest.NewUnstartedServer(n.tr.Handler())
	n.srv.Listener.Close()
	n.srv.Listener = ln
	n.srv.Start()
	n.url = n.srv.URL
	t.Cleanup(func() {
		n.tr.Stop()
		n.srv.Close()
	})
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func app(from, to, index uint64) raftpb.Message {
	return raftpb.Message{Type: raftpb.MsgApp, From: from, To: to, Index: index,
		Entries: []raftpb.Entry{{Index: index + 1, Term: 1, Data: bytes.Repeat([]byte("x"), 256)}}}
}

func TestStreamDeliversInOrder(t *testing.T) {
	a, b := newNode(t, 1, 7, nil), newNode(t, 2, 7, nil)
	a.tr.AddPeer(2, []string{b.url})
	b.tr.AddPeer(1, []string{a.url})
	// b opens a stream to a; once a has it attached, a's messages to b use it.
	waitFor(t, "streams up", func() bool { return a.tr.Active(2) && b.tr.Active(1) })
	const n = 2000
	for i := range uint64(n) {
		a.tr.Send([]raftpb.Message{app(1, 2, i)})
	}
	waitFor(t, "all messages", func() bool { return len(b.raft.received()) == n })
	for i, m := range b.raft.received() {
		if m.Index != uint64(i) || m.From != 1 || len(m.Entries[0].Data) != 256 {
			t.Fatalf("message %d = index %d from %d", i, m.Index, m.From)
		}
	}
}

func TestPipelineWhenNoStream(t *testing.T) {
	a, b := newNode(t, 1, 7, nil), newNode(t, 2, 7, nil)
	a.tr.AddPeer(2, []string{b.url}) // b does not know a, so it opens no stream to it
	a.tr.Send([]raftpb.Message{app(1, 2, 1), app(1, 2, 2)})
	waitFor(t, "pipeline delivery", func() bool { return len(b.raft.received()) == 2 })
}

func TestOtherClusterRefused(t *testing.T) {
	a, b := newNode(t, 1, 7, nil), newNode(t, 2, 8, nil)
	a.tr.AddPeer(2, []string{b.url})
	a.tr.Send([]raftpb.Message{app(1, 2, 1)})
	waitFor(t, "unreachable report", func() bool { return a.raft.unreachableCount(2) > 0 })
	if got := b.raft.received(); len(got) != 0 {
		t.Errorf("b accepted %d messages from another cluster", len(got))
	}
	req, _ := http.NewRequest("POST", b.url+pathMessage, nil)
	req.Header.Set(headerCluster, "7")
	req.Header.Set(headerFrom, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("status %d, want 412", resp.StatusCode)
	}
}

func TestRemovedMemberRefused(t *testing.T) {
	a, b := newNode(t, 1, 7, nil), newNode(t, 2, 7, nil)
	b.raft.removed[1] = true
	a.tr.AddPeer(2, []string{b.url})
	a.tr.Send([]raftpb.Message{app(1, 2, 1)})
	waitFor(t, "unreachable report", func() bool { return a.raft.unreachableCount(2) > 0 })
	if len(b.raft.received()) != 0 {
		t.Errorf("removed member's message accepted")
	}
}

func TestSnapshotTransfer(t *testing.T) {
	a, b := newNode(t, 1, 7, nil), newNode(t, 2, 7, nil)
	a.tr.AddPeer(2, []string{b.url})
	data := bytes.Repeat([]byte("0123456789abcdef"), 50<<20/16) // 50 MiB
	snap := raftpb.Message{Type: raftpb.MsgSnap, From: 1, To: 2, Snapshot: &raftpb.Snapshot{
		Data: data, Metadata: raftpb.SnapshotMetadata{Index: 99, Term: 3}}}
	a.tr.Send([]raftpb.Message{snap})
	waitFor(t, "snapshot report", func() bool {
		a.raft.mu.Lock()
		defer a.raft.mu.Unlock()
		return len(a.raft.snapStatus) == 1
	})
	if a.raft.snapStatus[0] != etcdraft.SnapshotFinish {
		t.Fatalf("snapshot status %v, want finish", a.raft.snapStatus[0])
	}
	got := b.raft.received()
	if len(got) != 1 || got[0].Snapshot.Metadata.Index != 99 || !bytes.Equal(got[0].Snapshot.Data, data) {
		t.Fatalf("snapshot arrived damaged")
	}
}

func TestSnapshotToDeadPeerFails(t *testing.T) {
	a := newNode(t, 1, 7, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	a.tr.AddPeer(2, []string{dead})
	a.tr.Send([]raftpb.Message{{Type: raftpb.MsgSnap, From: 1, To: 2, Snapshot: &raftpb.Snapshot{Data: []byte("x")}}})
	waitFor(t, "failure report", func() bool {
		a.raft.mu.Lock()
		defer a.raft.mu.Unlock()
		return len(a.raft.snapStatus) == 1 && a.raft.snapStatus[0] == etcdraft.SnapshotFailure
	})
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	a := newNode(t, 1, 7, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	b := newNode(t, 2, 7, ln)
	a.tr.AddPeer(2, []string{b.url})
	b.tr.AddPeer(1, []string{a.url})
	waitFor(t, "streams up", func() bool { return a.tr.Active(2) })

	// b goes away: a's messages fail and raft hears about it.
	b.tr.Stop()
	b.srv.CloseClientConnections()
	b.srv.Close()
	for i := 0; a.raft.unreachableCount(2) == 0; i++ {
		a.tr.Send([]raftpb.Message{app(1, 2, uint64(i))})
		if i > 2000 {
			t.Fatal("no unreachable report while the peer is down")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// b comes back on the same address.
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot rebind %s: %v", addr, err)
	}
	b2 := newNode(t, 2, 7, ln2)
	b2.tr.AddPeer(1, []string{a.url})
	waitFor(t, "delivery after restart", func() bool {
		a.tr.Send([]raftpb.Message{app(1, 2, 1000)})
		return len(b2.raft.received()) > 0
	})
}

func TestSendNeverBlocks(t *testing.T) {
	a := newNode(t, 1, 7, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	a.tr.AddPeer(2, []string{dead})
	done := make(chan struct{})
	go func() {
		for i := range uint64(20000) {
			a.tr.Send([]raftpb.Message{app(1, 2, i)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Send blocked")
	}
	if a.raft.unreachableCount(2) == 0 {
		t.Error("dropped messages were not reported")
	}
	a.tr.Send([]raftpb.Message{app(1, 99, 1)}) // unknown peer: dropped quietly
}

func TestStopLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		a := New(Config{ID: 1, ClusterID: 7, Raft: newFakeRaft(), Logger: zerolog.Nop()})
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		b := New(Config{ID: 2, ClusterID: 7, Raft: newFakeRaft(), Logger: zerolog.Nop()})
		bs := httptest.NewServer(b.Handler())
		defer bs.Close()
		a.AddPeer(2, []string{bs.URL})
		b.AddPeer(1, []string{srv.URL})
		waitFor(t, "streams up", func() bool { return a.Active(2) && b.Active(1) })
		a.RemovePeer(2)
		a.Stop()
		b.Stop()
		srv.CloseClientConnections()
		bs.CloseClientConnections()
	}()
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before+2 })
}
