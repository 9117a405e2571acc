package store

import (
	"testing"
	"time"
)

func TestGet(t *testing.T) {
	s, clk := newTestStore()
	set(t, s, "/1/d/b", "2")                                                              // 1
	set(t, s, "/1/d/a", "1")                                                              // 2
	set(t, s, "/1/d/sub/x", "x")                                                          // 3
	set(t, s, "/1/d/_hidden", "h")                                                        // 4
	set(t, s, "/1/d/sub/_y", "y")                                                         // 5
	set(t, s, "/1/h/_only", "o")                                                          // 6
	set(t, s, "/1/_hid/v", "v")                                                           // 7
	mustApply(t, s, Command{Op: OpSet, Key: "/1/t", Value: "v", Expiration: clk.exp(10)}) // 8
	mustApply(t, s, Command{Op: OpSet, Key: "/1/e", Dir: true})                           // 9
	mustApply(t, s, Command{Op: OpSet, Key: "/0/members/x", Value: "internal"})           // 10
	clk.Advance(1400 * time.Millisecond)

	tests := []struct {
		name              string
		key               string
		recursive, sorted bool
		want              string
		wantErr           string
	}{
		{name: "file", key: "/1/d/a", want: `{"action":"get","node":{"key":"/d/a","value":"1","modifiedIndex":2,"createdIndex":2}}`},
		{name: "file ttl rounds up", key: "/1/t", want: `{"action":"get","node":{"key":"/t","value":"v","expiration":"2026-11-22T09:30:10Z","ttl":9,"modifiedIndex":8,"createdIndex":8}}`},
		{name: "dir sorted, children without nodes, hidden left out", key: "/1/d", sorted: true,
			want: `{"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/a","value":"1","modifiedIndex":2,"createdIndex":2},{"key":"/d/b","value":"2","modifiedIndex":1,"createdIndex":1},{"key":"/d/sub","dir":true,"modifiedIndex":3,"createdIndex":3}],"modifiedIndex":1,"createdIndex":1}}`},
		{name: "dir recursive sorted", key: "/1/d", recursive: true, sorted: true,
			want: `{"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/a","value":"1","modifiedIndex":2,"createdIndex":2},{"key":"/d/b","value":"2","modifiedIndex":1,"createdIndex":1},{"key":"/d/sub","dir":true,"nodes":[{"key":"/d/sub/x","value":"x","modifiedIndex":3,"createdIndex":3}],"modifiedIndex":3,"createdIndex":3}],"modifiedIndex":1,"createdIndex":1}}`},
		{name: "dir holding only hidden nodes lists as empty", key: "/1/h", recursive: true,
			want: `{"action":"get","node":{"key":"/h","dir":true,"modifiedIndex":6,"createdIndex":6}}`},
		{name: "hidden dir by its path shows its children", key: "/1/_hid",
			want: `{"action":"get","node":{"key":"/_hid","dir":true,"nodes":[{"key":"/_hid/v","value":"v","modifiedIndex":7,"createdIndex":7}],"modifiedIndex":7,"createdIndex":7}}`},
		{name: "hidden file by its path", key: "/1/d/_hidden", want: `{"action":"get","node":{"key":"/d/_hidden","value":"h","modifiedIndex":4,"createdIndex":4}}`},
		{name: "empty dir", key: "/1/e", want: `{"action":"get","node":{"key":"/e","dir":true,"modifiedIndex":9,"createdIndex":9}}`},
		{name: "user root", key: "/1", sorted: true,
			want: `{"action":"get","node":{"dir":true,"nodes":[{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1},{"key":"/e","dir":true,"modifiedIndex":9,"createdIndex":9},{"key":"/h","dir":true,"modifiedIndex":6,"createdIndex":6},{"key":"/t","value":"v","expiration":"2026-11-22T09:30:10Z","ttl":9,"modifiedIndex":8,"createdIndex":8}]}}`},
		{name: "uncleaned key", key: "1/d//sub/", want: `{"action":"get","node":{"key":"/d/sub","dir":true,"nodes":[{"key":"/d/sub/x","value":"x","modifiedIndex":3,"createdIndex":3}],"modifiedIndex":3,"createdIndex":3}}`},
		{name: "missing: first missing prefix", key: "/1/a/b", wantErr: `{"errorCode":100,"message":"Key not found","cause":"/1/a","index":10}`},
		{name: "through a file is 104", key: "/1/d/a/sub", wantErr: `{"errorCode":104,"message":"Not a directory","cause":"/1/d/a","index":10}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := s.Get(tt.key, tt.recursive, tt.sorted)
			buf, idx, ferr := s.AppendGetJSON([]byte("x"), tt.key, tt.recursive, tt.sorted, "/1")
			if tt.wantErr != "" {
				if got := string(err.(*Error).AppendJSON(nil)); got != tt.wantErr+"\n" {
					t.Errorf("Get error = %s, want %s", got, tt.wantErr)
				}
				if got := string(ferr.(*Error).AppendJSON(nil)); got != tt.wantErr+"\n" || string(buf) != "x" || idx != 10 {
					t.Errorf("AppendGetJSON = %q, %d, %s; want buf untouched, 10, %s", buf, idx, got, tt.wantErr)
				}
				return
			}
			if err != nil || ferr != nil {
				t.Fatalf("Get = %v, AppendGetJSON = %v", err, ferr)
			}
			if tt.sorted || !hasManyChildren(e.Node) {
				if got := eventJSON(e); got != tt.want {
					t.Errorf("Get =\n%s\nwant\n%s", got, tt.want)
				}
				if got := string(buf[1:]); got != tt.want+"\n" {
					t.Errorf("AppendGetJSON =\n%s\nwant\n%s", got, tt.want)
				}
			}
			if e.EtcdIndex != 10 || idx != 10 {
				t.Errorf("index = %d / %d, want the store index 10", e.EtcdIndex, idx)
			}
		})
	}
	if st := s.Stats(); st.GetsSuccess != 20 || st.GetsFail != 4 {
		t.Errorf("gets counted %d/%d, want 20/4", st.GetsSuccess, st.GetsFail)
	}
}

func hasManyChildren(n *NodeExtern) bool {
	if len(n.Nodes) > 1 {
		return true
	}
	for _, c := range n.Nodes {
		if hasManyChildren(c) {
			return true
		}
	}
	return false
}

// TestGetUnsortedHasEveryChild checks the unsorted listings (map order) against the sorted.
func TestGetUnsortedHasEveryChild(t *testing.T) {
	s, _ := newTestStore()
	for _, k := range []string{"/1/d/c", "/1/d/a", "/1/d/b/x", "/1/d/b/y", "/1/d/_h"} {
		set(t, s, k, "v")
	}
	sorted, _ := s.Get("/1/d", true, true)
	unsorted, _ := s.Get("/1/d", true, false)
	sortExtern(unsorted.Node)
	if a, b := eventJSON(sorted), eventJSON(unsorted); a != b {
		t.Errorf("unsorted listing differs:\n%s\n%s", b, a)
	}
	fast, _, _ := s.AppendGetJSON(nil, "/1/d", true, false, "/1")
	if len(fast) != len(eventJSON(sorted))+1 {
		t.Errorf("AppendGetJSON unsorted has %d bytes, want %d", len(fast), len(eventJSON(sorted))+1)
	}
}

func TestEmptyStore(t *testing.T) {
	s, _ := newTestStore()
	e, err := s.Get("/1", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventJSON(e), `{"action":"get","node":{"dir":true}}`; got != want {
		t.Errorf("Get(/1) = %s, want %s", got, want)
	}
	if s.Index() != 0 || s.HasTTLKeys() {
		t.Errorf("fresh store: Index %d, HasTTLKeys %v", s.Index(), s.HasTTLKeys())
	}
	if _, ok := s.NextExpiration(); ok {
		t.Error("NextExpiration reports a time on an empty store")
	}
	root, _ := s.Get("/", false, true)
	if got, want := string(root.AppendJSON(nil, "")), `{"action":"get","node":{"key":"/","dir":true,"nodes":[{"key":"/0","dir":true},{"key":"/1","dir":true}]}}`+"\n"; got != want {
		t.Errorf("Get(/) = %s, want %s", got, want)
	}
}

func TestIndexCountsEveryMutation(t *testing.T) {
	s, clk := newTestStore()
	cmds := []struct {
		cmd Command
		ok  bool
	}{
		{Command{Op: OpSet, Key: "/0/members/1/attributes", Value: "{}"}, true}, // internal writes count
		{Command{Op: OpSet, Key: "/1/a", Value: "1"}, true},
		{Command{Op: OpCreate, Key: "/1/a", Value: "1"}, false},
		{Command{Op: OpUpdate, Key: "/1/a", Refresh: true, Expiration: clk.exp(1)}, true}, // refresh counts
		{Command{Op: OpCompareAndSwap, Key: "/1/a", PrevValue: "no"}, false},
		{Command{Op: OpDelete, Key: "/1/zz"}, false},
		{Command{Op: OpExpire, Time: clk.exp(1)}, true}, // one expired node
		{Command{Op: OpExpire, Time: clk.exp(1)}, false},
		{Command{Op: Op(99), Key: "/1/x"}, false},
	}
	want := uint64(0)
	for _, c := range cmds {
		_, err := s.Apply(&c.cmd)
		if c.ok {
			want++
		}
		if c.cmd.Op != OpExpire && (err == nil) != c.ok {
			t.Errorf("Apply(%v) = %v, want ok=%v", c.cmd.Op, err, c.ok)
		}
		if got := s.Index(); got != want {
			t.Errorf("after %v: Index = %d, want %d", c.cmd.Op, got, want)
		}
	}
}

func TestStatsCounters(t *testing.T) {
	s, clk := newTestStore()
	cmds := []Command{
		{Op: OpSet, Key: "/1/a", Value: "1"}, {Op: OpSet, Key: "/1", Value: "1"},
		{Op: OpCreate, Key: "/1/b"}, {Op: OpCreate, Key: "/1/b"}, {Op: OpCreate, Key: "/1/b"},
		{Op: OpUpdate, Key: "/1/a", Value: "2"}, {Op: OpUpdate, Key: "/1/zz"},
		{Op: OpCompareAndSwap, Key: "/1/a", PrevValue: "2", Value: "3"}, {Op: OpCompareAndSwap, Key: "/1/a", PrevValue: "x"},
		{Op: OpCompareAndDelete, Key: "/1/a", PrevValue: "x"}, {Op: OpCompareAndDelete, Key: "/1", PrevValue: "x"},
		{Op: OpCompareAndDelete, Key: "/1/a", PrevValue: "3"},
		{Op: OpDelete, Key: "/1/b"}, {Op: OpDelete, Key: "/1/b"},
		{Op: OpSet, Key: "/1/t", Expiration: clk.exp(1)}, {Op: OpExpire, Time: clk.exp(2)},
	}
	for _, c := range cmds {
		s.Apply(&c)
	}
	s.Get("/1", false, false)
	s.Get("/1/nope", false, false)
	w, _ := s.Watch("/1/x", false, false, 0)
	want := Stats{
		GetsSuccess: 1, GetsFail: 1, SetsSuccess: 2, SetsFail: 1, DeleteSuccess: 1, DeleteFail: 1,
		UpdateSuccess: 1, UpdateFail: 1, CreateSuccess: 1, CreateFail: 2,
		CompareAndSwapSuccess: 1, CompareAndSwapFail: 1, CompareAndDeleteSuccess: 1, CompareAndDeleteFail: 2,
		ExpireCount: 1, Watchers: 1,
	}
	if got := s.Stats(); got != want {
		t.Errorf("Stats =\n%+v\nwant\n%+v", got, want)
	}
	w.Remove()
	if got := s.Stats().Watchers; got != 0 {
		t.Errorf("Watchers after Remove = %d", got)
	}
}

func TestHistorySizeOption(t *testing.T) {
	s, _ := newTestStore(WithHistorySize(3))
	for range 5 {
		set(t, s, "/1/k", "v")
	}
	_, err := s.Watch("/1/k", false, false, 2)
	if got, want := string(err.(*Error).AppendJSON(nil)), `{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [3/2]","index":5}`+"\n"; got != want {
		t.Errorf("Watch(2) error = %s, want %s", got, want)
	}
	w, err := s.Watch("/1/k", false, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if e := <-w.EventChan(); e.Index() != 3 {
		t.Errorf("Watch(3) got index %d", e.Index())
	}
}

// sortExtern sorts a listing in place, for comparing unsorted output.
func sortExtern(n *NodeExtern) {
	for i := 1; i < len(n.Nodes); i++ {
		for j := i; j > 0 && n.Nodes[j].Key < n.Nodes[j-1].Key; j-- {
			n.Nodes[j], n.Nodes[j-1] = n.Nodes[j-1], n.Nodes[j]
		}
	}
	for _, c := range n.Nodes {
		sortExtern(c)
	}
}

func TestFileValue(t *testing.T) {
	s, _ := newTestStore()
	set(t, s, "/2/enabled", "true")
	set(t, s, "/2/users/root", `{"user":"root"}`)
	mustApply(t, s, Command{Op: OpSet, Key: "/2/empty", Value: ""})
	before := s.Stats()
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"/2/enabled", "true", true},
		{"2//enabled/", "true", true}, // keys are cleaned like every other read
		{"/2/empty", "", true},
		{"/2/users", "", false}, // a directory
		{"/2/nope", "", false},
		{"/2/enabled/below", "", false}, // a file in the way
		{"/", "", false},
	}
	for _, tt := range tests {
		got, ok := s.FileValue(tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("FileValue(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
	if after := s.Stats(); after != before {
		t.Errorf("FileValue changed the store statistics: %+v -> %+v", before, after)
	}
}
