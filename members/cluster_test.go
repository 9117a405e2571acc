package members

import (
	"errors"
	"testing"

	"github.com/etcd2/etcd2/store"
)

func apply(t *testing.T, st *store.Store, cmds ...*store.Command) {
	t.Helper()
	for _, c := range cmds {
		if _, err := st.Apply(c); err != nil {
			t.Fatalf("Apply(%s %s): %v", c.Op, c.Key, err)
		}
	}
}

func TestClusterRecordsRoundTrip(t *testing.T) {
	st := store.New(store.WithNamespaces(Prefix, "/1"))
	c := NewCluster(7)
	a := Member{ID: 0xa, PeerURLs: []string{"http://127.0.0.1:1"}}
	b := Member{ID: 0xb, PeerURLs: []string{"http://127.0.0.1:2"}}

	apply(t, st, AddCommands(a)...)
	apply(t, st, AddCommands(b)...)
	apply(t, st, AttributesCommand(a.ID, "alpha", []string{"http://127.0.0.1:11"}), VersionCommand("3.4.0"))
	if err := c.Recover(st); err != nil {
		t.Fatal(err)
	}
	ms := c.Members()
	if len(ms) != 2 || ms[0].Name != "alpha" || ms[0].ClientURLs[0] != "http://127.0.0.1:11" || ms[1].Started() {
		t.Fatalf("Members() = %+v", ms)
	}
	if c.Version() != "3.4.0" {
		t.Errorf("Version() = %q", c.Version())
	}
	// Five internal writes, one index each (SPEC §2.10).
	if st.Index() != 4 {
		t.Errorf("store index = %d, want 4", st.Index())
	}

	apply(t, st, UpdateCommands(Member{ID: b.ID, PeerURLs: []string{"http://127.0.0.1:3"}})...)
	apply(t, st, RemoveCommands(a.ID)...)
	if err := c.Recover(st); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Member(a.ID); ok || !c.IsRemoved(a.ID) {
		t.Errorf("removed member still present or not marked removed")
	}
	if m, _ := c.Member(b.ID); m.PeerURLs[0] != "http://127.0.0.1:3" {
		t.Errorf("update not visible: %+v", m)
	}
	if got := st.Stats().GetsSuccess; got != 0 {
		t.Errorf("membership reads counted as client gets: %d", got)
	}
}

func TestClusterValidate(t *testing.T) {
	st := store.New(store.WithNamespaces(Prefix, "/1"))
	c := NewCluster(1)
	a := Member{ID: 0xa, PeerURLs: []string{"http://127.0.0.1:1"}}
	apply(t, st, AddCommands(a)...)
	apply(t, st, AddCommands(Member{ID: 0xc, PeerURLs: []string{"http://127.0.0.1:5"}})...)
	apply(t, st, RemoveCommands(0xc)...)
	if err := c.Recover(st); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"add existing ID", c.ValidateAdd(Member{ID: 0xa, PeerURLs: []string{"http://x:1"}}), ErrIDExists},
		{"add used peer URL", c.ValidateAdd(Member{ID: 0xb, PeerURLs: []string{"http://127.0.0.1:1"}}), ErrPeerURLExists},
		{"add removed ID", c.ValidateAdd(Member{ID: 0xc, PeerURLs: []string{"http://x:1"}}), ErrIDRemoved},
		{"add new", c.ValidateAdd(Member{ID: 0xb, PeerURLs: []string{"http://x:1"}}), nil},
		{"remove unknown", c.ValidateRemove(0xd), ErrIDNotFound},
		{"remove removed", c.ValidateRemove(0xc), ErrIDRemoved},
		{"remove member", c.ValidateRemove(0xa), nil},
		{"update own URLs", c.ValidateUpdate(Member{ID: 0xa, PeerURLs: []string{"http://127.0.0.1:1"}}), nil},
		{"update unknown", c.ValidateUpdate(Member{ID: 0xd}), ErrIDNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || (tt.want == nil && tt.err != nil) {
			t.Errorf("%s: error = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}
