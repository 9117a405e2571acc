package store

import (
	"math"
	"testing"
	"time"
)

// Times in the tables: the fake clock starts at 2026-11-22T09:30:00Z.
const (
	exp10 = "2026-11-22T09:30:10Z"
)

func TestApply(t *testing.T) {
	clk := newFakeClock()
	base := clk.Now()
	ttl := func(sec int64) int64 { return base.Add(time.Duration(sec) * time.Second).UnixNano() }
	setF := func(key, value string) Command { return Command{Op: OpSet, Key: key, Value: value} }
	mkdir := func(key string) Command { return Command{Op: OpSet, Key: key, Dir: true} }
	tests := []struct {
		name    string
		setup   []Command
		cmd     Command
		want    string // event JSON, keys trimmed of /1
		wantErr string // error JSON, untrimmed
	}{
		// set
		{name: "set new key", cmd: setF("/1/foo", "bar"),
			want: `{"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set empty value", cmd: setF("/1/foo", ""),
			want: `{"action":"set","node":{"key":"/foo","value":"","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set over file resets createdIndex", setup: []Command{setF("/1/foo", "a"), setF("/1/x", "")}, cmd: setF("/1/foo", "b"),
			want: `{"action":"set","node":{"key":"/foo","value":"b","modifiedIndex":3,"createdIndex":3},"prevNode":{"key":"/foo","value":"a","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set creates parents, one event", cmd: setF("/1/a/b/c", "v"),
			want: `{"action":"set","node":{"key":"/a/b/c","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set over dir is 102", setup: []Command{mkdir("/1/d")}, cmd: setF("/1/d", "v"),
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1/d","index":1}`},
		{name: "set dir over dir is 102", setup: []Command{mkdir("/1/d")}, cmd: mkdir("/1/d"),
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1/d","index":1}`},
		{name: "set dir over file replaces it", setup: []Command{setF("/1/pf", "v")}, cmd: mkdir("/1/pf"),
			want: `{"action":"set","node":{"key":"/pf","dir":true,"modifiedIndex":2,"createdIndex":2},"prevNode":{"key":"/pf","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set through a file is 104", setup: []Command{setF("/1/f", "v")}, cmd: setF("/1/f/x/y", "v"),
			wantErr: `{"errorCode":104,"message":"Not a directory","cause":"/1/f","index":1}`},
		{name: "set user root is 107", cmd: setF("/1", "v"),
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},
		{name: "set root is 107", cmd: setF("/", "v"),
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},
		{name: "set internal namespace is 107", cmd: mkdir("/0/"),
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},
		{name: "set cleans the key", cmd: setF("1//a/./x/../b/", "v"),
			want: `{"action":"set","node":{"key":"/a/b","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set with ttl", cmd: Command{Op: OpSet, Key: "/1/t", Value: "v", Expiration: ttl(10)},
			want: `{"action":"set","node":{"key":"/t","value":"v","expiration":"` + exp10 + `","ttl":10,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "set ttl=0 shows expiration without ttl", cmd: Command{Op: OpSet, Key: "/1/t", Value: "v", Expiration: ttl(0)},
			want: `{"action":"set","node":{"key":"/t","value":"v","expiration":"2026-11-22T09:30:00Z","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set ttl=2^64-1 is expired with ttl -1", cmd: Command{Op: OpSet, Key: "/1/t", Value: "v", Expiration: ExpirationFromTTL(base, math.MaxUint64)},
			want: `{"action":"set","node":{"key":"/t","value":"v","expiration":"2026-11-22T09:29:59Z","ttl":-1,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "set with wrapped huge ttl is permanent", cmd: Command{Op: OpSet, Key: "/1/t", Value: "v", Expiration: ExpirationFromTTL(base, 99999999999)},
			want: `{"action":"set","node":{"key":"/t","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "set dir with ttl", cmd: Command{Op: OpSet, Key: "/1/d", Dir: true, Value: "ignored", Expiration: ttl(10)},
			want: `{"action":"set","node":{"key":"/d","dir":true,"expiration":"` + exp10 + `","ttl":10,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "refresh set keeps value, resets createdIndex", setup: []Command{setF("/1/k", "v"), setF("/1/x", "")},
			cmd:  Command{Op: OpSet, Key: "/1/k", Refresh: true, Expiration: ttl(10)},
			want: `{"action":"set","node":{"key":"/k","value":"v","expiration":"` + exp10 + `","ttl":10,"modifiedIndex":3,"createdIndex":3},"prevNode":{"key":"/k","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "refresh set of a missing key is 100", cmd: Command{Op: OpSet, Key: "/1/k", Refresh: true, Expiration: ttl(10)},
			wantErr: `{"errorCode":100,"message":"Key not found","cause":"/1/k","index":0}`},
		{name: "refresh set with dir over a file makes a dir (reference)", setup: []Command{setF("/1/rf", "1")},
			cmd:  Command{Op: OpSet, Key: "/1/rf", Dir: true, Refresh: true, Expiration: ttl(10)},
			want: `{"action":"set","node":{"key":"/rf","dir":true,"expiration":"` + exp10 + `","ttl":10,"modifiedIndex":2,"createdIndex":2},"prevNode":{"key":"/rf","value":"1","modifiedIndex":1,"createdIndex":1}}`},
		{name: "refresh set of a dir is 102", setup: []Command{mkdir("/1/d")}, cmd: Command{Op: OpSet, Key: "/1/d", Refresh: true, Expiration: ttl(5)},
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1/d","index":1}`},

		// create
		{name: "create new key", cmd: Command{Op: OpCreate, Key: "/1/c", Value: "v"},
			want: `{"action":"create","node":{"key":"/c","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "create existing file is 105", setup: []Command{setF("/1/c", "v")}, cmd: Command{Op: OpCreate, Key: "/1/c", Value: "w"},
			wantErr: `{"errorCode":105,"message":"Key already exists","cause":"/1/c","index":1}`},
		{name: "create existing dir is 105", setup: []Command{mkdir("/1/c")}, cmd: Command{Op: OpCreate, Key: "/1/c", Dir: true},
			wantErr: `{"errorCode":105,"message":"Key already exists","cause":"/1/c","index":1}`},
		{name: "create dir", cmd: Command{Op: OpCreate, Key: "/1/c", Dir: true},
			want: `{"action":"create","node":{"key":"/c","dir":true,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "create user root is 107", cmd: Command{Op: OpCreate, Key: "/1", Dir: true},
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},
		{name: "unique create names the child by the new index", setup: []Command{setF("/1/x", ""), setF("/1/y", "")},
			cmd:  Command{Op: OpCreate, Key: "/1/queue", Value: "job", Unique: true, Expiration: ttl(10)},
			want: `{"action":"create","node":{"key":"/queue/00000000000000000003","value":"job","expiration":"` + exp10 + `","ttl":10,"modifiedIndex":3,"createdIndex":3}}`},
		{name: "unique create of a dir", cmd: Command{Op: OpCreate, Key: "/1/queue/", Dir: true, Unique: true},
			want: `{"action":"create","node":{"key":"/queue/00000000000000000001","dir":true,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "unique create in the user root", cmd: Command{Op: OpCreate, Key: "/1", Value: "q", Unique: true},
			want: `{"action":"create","node":{"key":"/00000000000000000001","value":"q","modifiedIndex":1,"createdIndex":1}}`},
		{name: "unique create under a file is 104 with the parent", setup: []Command{setF("/1/pf", "v")}, cmd: Command{Op: OpCreate, Key: "/1/pf", Value: "x", Unique: true},
			wantErr: `{"errorCode":104,"message":"Not a directory","cause":"/1/pf","index":1}`},
		{name: "create under a file is 104", setup: []Command{setF("/1/pf", "v")}, cmd: Command{Op: OpCreate, Key: "/1/pf/sub/x", Value: "x"},
			wantErr: `{"errorCode":104,"message":"Not a directory","cause":"/1/pf","index":1}`},

		// update
		{name: "update missing is 100", cmd: Command{Op: OpUpdate, Key: "/1/a/b", Value: "v"},
			wantErr: `{"errorCode":100,"message":"Key not found","cause":"/1/a","index":0}`},
		{name: "update file keeps createdIndex", setup: []Command{setF("/1/k", "a"), setF("/1/x", "")}, cmd: Command{Op: OpUpdate, Key: "/1/k", Value: "b", Expiration: ttl(10)},
			want: `{"action":"update","node":{"key":"/k","value":"b","expiration":"` + exp10 + `","ttl":10,"modifiedIndex":3,"createdIndex":1},"prevNode":{"key":"/k","value":"a","modifiedIndex":1,"createdIndex":1}}`},
		{name: "update without ttl makes the key permanent", setup: []Command{{Op: OpSet, Key: "/1/k", Value: "a", Expiration: ttl(10)}}, cmd: Command{Op: OpUpdate, Key: "/1/k", Value: "b"},
			want: `{"action":"update","node":{"key":"/k","value":"b","modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/k","value":"a","expiration":"` + exp10 + `","ttl":10,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "update dir with a value is 102", setup: []Command{mkdir("/1/d")}, cmd: Command{Op: OpUpdate, Key: "/1/d", Value: "x"},
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1/d","index":1}`},
		{name: "update dir ttl", setup: []Command{mkdir("/1/d")}, cmd: Command{Op: OpUpdate, Key: "/1/d", Expiration: ttl(10)},
			want: `{"action":"update","node":{"key":"/d","dir":true,"expiration":"` + exp10 + `","ttl":10,"modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "update user root is 107", cmd: Command{Op: OpUpdate, Key: "/1"},
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},
		{name: "update keeps an expiration before 2000", setup: []Command{setF("/1/u", "1")}, cmd: Command{Op: OpUpdate, Key: "/1/u", Value: "2", Expiration: ExpirationFromTTL(base, 99999999999)},
			want: `{"action":"update","node":{"key":"/u","value":"2","expiration":"1688-06-09T21:49:16.742690304Z","ttl":-9223372036,"modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/u","value":"1","modifiedIndex":1,"createdIndex":1}}`},
		{name: "refresh update keeps the value", setup: []Command{setF("/1/k", "v")}, cmd: Command{Op: OpUpdate, Key: "/1/k", Refresh: true, Expiration: ttl(10)},
			want: `{"action":"update","node":{"key":"/k","value":"v","expiration":"` + exp10 + `","ttl":10,"modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/k","value":"v","modifiedIndex":1,"createdIndex":1}}`},

		// compareAndSwap
		{name: "cas missing is 100", cmd: Command{Op: OpCompareAndSwap, Key: "/1/nope", Value: "b", PrevValue: "a"},
			wantErr: `{"errorCode":100,"message":"Key not found","cause":"/1/nope","index":0}`},
		{name: "cas dir is 102", setup: []Command{mkdir("/1/d")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/d", PrevValue: "a"},
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1/d","index":1}`},
		{name: "cas value mismatch", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/f1", Value: "b", PrevValue: "zz"},
			wantErr: `{"errorCode":101,"message":"Compare failed","cause":"[zz != v]","index":1}`},
		{name: "cas index mismatch", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/f1", Value: "b", PrevIndex: 3},
			wantErr: `{"errorCode":101,"message":"Compare failed","cause":"[3 != 1]","index":1}`},
		{name: "cas both mismatch", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/f1", Value: "b", PrevValue: "zz", PrevIndex: 3},
			wantErr: `{"errorCode":101,"message":"Compare failed","cause":"[zz != v] [3 != 1]","index":1}`},
		{name: "cas both given, only index fails", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/f1", Value: "b", PrevValue: "v", PrevIndex: 3},
			wantErr: `{"errorCode":101,"message":"Compare failed","cause":"[3 != 1]","index":1}`},
		{name: "cas both given, only value fails", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/f1", Value: "b", PrevValue: "w", PrevIndex: 1},
			wantErr: `{"errorCode":101,"message":"Compare failed","cause":"[w != v]","index":1}`},
		{name: "cas success keeps createdIndex", setup: []Command{setF("/1/f1", "v"), setF("/1/x", "")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/f1", Value: "b", PrevValue: "v", PrevIndex: 1},
			want: `{"action":"compareAndSwap","node":{"key":"/f1","value":"b","modifiedIndex":3,"createdIndex":1},"prevNode":{"key":"/f1","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "cas refresh keeps the value", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndSwap, Key: "/1/f1", PrevValue: "v", Refresh: true, Expiration: ttl(10)},
			want: `{"action":"compareAndSwap","node":{"key":"/f1","value":"v","expiration":"` + exp10 + `","ttl":10,"modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/f1","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "cas user root is 107", cmd: Command{Op: OpCompareAndSwap, Key: "/1", PrevValue: "x"},
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},

		// delete
		{name: "delete missing is 100", cmd: Command{Op: OpDelete, Key: "/1/nope"},
			wantErr: `{"errorCode":100,"message":"Key not found","cause":"/1/nope","index":0}`},
		{name: "delete file", setup: []Command{setF("/1/cfg/db", "pg2")}, cmd: Command{Op: OpDelete, Key: "/1/cfg/db"},
			want: `{"action":"delete","node":{"key":"/cfg/db","modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/cfg/db","value":"pg2","modifiedIndex":1,"createdIndex":1}}`},
		{name: "delete file ignores dir and recursive", setup: []Command{setF("/1/f", "v")}, cmd: Command{Op: OpDelete, Key: "/1/f", Dir: true, Recursive: true},
			want: `{"action":"delete","node":{"key":"/f","modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/f","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "delete dir without dir is 102", setup: []Command{mkdir("/1/d")}, cmd: Command{Op: OpDelete, Key: "/1/d"},
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1/d","index":1}`},
		{name: "delete empty dir with dir", setup: []Command{mkdir("/1/d")}, cmd: Command{Op: OpDelete, Key: "/1/d", Dir: true},
			want: `{"action":"delete","node":{"key":"/d","dir":true,"modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "delete non-empty dir with dir is 108", setup: []Command{setF("/1/d/a", "1")}, cmd: Command{Op: OpDelete, Key: "/1/d", Dir: true},
			wantErr: `{"errorCode":108,"message":"Directory not empty","cause":"/1/d","index":1}`},
		{name: "delete dir holding only a hidden node with dir is 108", setup: []Command{setF("/1/d/_h", "1")}, cmd: Command{Op: OpDelete, Key: "/1/d", Dir: true},
			wantErr: `{"errorCode":108,"message":"Directory not empty","cause":"/1/d","index":1}`},
		{name: "delete dir recursive", setup: []Command{setF("/1/d/a", "1"), setF("/1/d/e/b", "2")}, cmd: Command{Op: OpDelete, Key: "/1/d", Recursive: true},
			want: `{"action":"delete","node":{"key":"/d","dir":true,"modifiedIndex":3,"createdIndex":1},"prevNode":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}`},
		{name: "delete user root is 107", cmd: Command{Op: OpDelete, Key: "/1", Recursive: true},
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},
		{name: "delete root is 107", cmd: Command{Op: OpDelete, Key: "/", Dir: true},
			wantErr: `{"errorCode":107,"message":"Root is read only","cause":"/","index":0}`},

		// compareAndDelete
		{name: "cad missing is 100", cmd: Command{Op: OpCompareAndDelete, Key: "/1/nope", PrevValue: "a"},
			wantErr: `{"errorCode":100,"message":"Key not found","cause":"/1/nope","index":0}`},
		{name: "cad dir is 102 even recursive", setup: []Command{mkdir("/1/dd")}, cmd: Command{Op: OpCompareAndDelete, Key: "/1/dd", PrevValue: "zz", Recursive: true},
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1/dd","index":1}`},
		{name: "cad mismatch", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndDelete, Key: "/1/f1", PrevValue: "zz", PrevIndex: 3},
			wantErr: `{"errorCode":101,"message":"Compare failed","cause":"[zz != v] [3 != 1]","index":1}`},
		{name: "cad success", setup: []Command{setF("/1/f1", "v")}, cmd: Command{Op: OpCompareAndDelete, Key: "/1/f1", PrevIndex: 1},
			want: `{"action":"compareAndDelete","node":{"key":"/f1","modifiedIndex":2,"createdIndex":1},"prevNode":{"key":"/f1","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{name: "cad on the user root is 102, not 107", cmd: Command{Op: OpCompareAndDelete, Key: "/1", PrevValue: "x"},
			wantErr: `{"errorCode":102,"message":"Not a file","cause":"/1","index":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s := New(WithNamespaces("/0", "/1"), WithClock(clk))
			for _, c := range tt.setup {
				mustApply(t, s, c)
			}
			before := s.Index()
			e, err := s.Apply(&tt.cmd)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Apply = %s, want error %s", eventJSON(e), tt.wantErr)
				}
				se := err.(*Error)
				if got := string(se.AppendJSON(nil)); got != tt.wantErr+"\n" {
					t.Errorf("error = %s, want %s", got, tt.wantErr)
				}
				if s.Index() != before {
					t.Errorf("failed command moved the index from %d to %d", before, s.Index())
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply = %v", err)
			}
			if got := eventJSON(e); got != tt.want {
				t.Errorf("event =\n%s\nwant\n%s", got, tt.want)
			}
			if s.Index() != before+1 || e.EtcdIndex != before+1 {
				t.Errorf("index %d -> %d, EtcdIndex %d; want one step", before, s.Index(), e.EtcdIndex)
			}
		})
	}
}

func TestIsCreated(t *testing.T) {
	s, clk := newTestStore()
	tests := []struct {
		name string
		cmd  Command
		want bool
	}{
		{"set new", Command{Op: OpSet, Key: "/1/a", Value: "1"}, true},
		{"set existing", Command{Op: OpSet, Key: "/1/a", Value: "2"}, false},
		{"refresh set", Command{Op: OpSet, Key: "/1/a", Refresh: true, Expiration: clk.exp(5)}, false},
		{"create", Command{Op: OpCreate, Key: "/1/b"}, true},
		{"unique create", Command{Op: OpCreate, Key: "/1/q", Unique: true}, true},
		{"update", Command{Op: OpUpdate, Key: "/1/b", Value: "x"}, false},
		{"cas", Command{Op: OpCompareAndSwap, Key: "/1/b", PrevValue: "x", Value: "y"}, false},
		{"delete", Command{Op: OpDelete, Key: "/1/b"}, false},
	}
	for _, tt := range tests {
		if got := mustApply(t, s, tt.cmd).IsCreated(); got != tt.want {
			t.Errorf("%s: IsCreated() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestUpdateDirKeepsModifiedIndex pins the [QUIRK] of SPEC §2.4: the response of an update
// of a directory shows the new index, the tree keeps the old one.
func TestUpdateDirKeepsModifiedIndex(t *testing.T) {
	s, clk := newTestStore()
	mustApply(t, s, Command{Op: OpSet, Key: "/1/dd", Dir: true})
	e := mustApply(t, s, Command{Op: OpUpdate, Key: "/1/dd", Expiration: clk.exp(100)})
	if e.Node.ModifiedIndex != 2 {
		t.Errorf("response modifiedIndex = %d, want 2", e.Node.ModifiedIndex)
	}
	g, err := s.Get("/1/dd", false, false)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"get","node":{"key":"/dd","dir":true,"expiration":"2026-11-22T09:31:40Z","ttl":100,"modifiedIndex":1,"createdIndex":1}}`
	if got := eventJSON(g); got != want {
		t.Errorf("Get = %s, want %s", got, want)
	}
	if s.Index() != 2 {
		t.Errorf("Index = %d, want 2", s.Index())
	}
}

func TestTTLHeapFollowsTree(t *testing.T) {
	s, clk := newTestStore()
	mustApply(t, s, Command{Op: OpSet, Key: "/1/a", Value: "1", Expiration: clk.exp(10)})
	mustApply(t, s, Command{Op: OpSet, Key: "/1/d/b", Value: "1", Expiration: clk.exp(20)})
	mustApply(t, s, Command{Op: OpUpdate, Key: "/1/d", Expiration: clk.exp(30)})
	checkHeap(t, s, 3)
	if next, ok := s.NextExpiration(); !ok || next != clk.exp(10) {
		t.Errorf("NextExpiration = %d, %v; want %d", next, ok, clk.exp(10))
	}
	// Re-keyed: /1/a now expires last.
	mustApply(t, s, Command{Op: OpUpdate, Key: "/1/a", Value: "2", Expiration: clk.exp(40)})
	if next, _ := s.NextExpiration(); next != clk.exp(20) {
		t.Errorf("after re-key NextExpiration = %d, want %d", next, clk.exp(20))
	}
	// Update without a TTL takes /1/a out; deleting /1/d takes it and /1/d/b out.
	mustApply(t, s, Command{Op: OpUpdate, Key: "/1/a", Value: "3"})
	checkHeap(t, s, 2)
	mustApply(t, s, Command{Op: OpDelete, Key: "/1/d", Recursive: true})
	checkHeap(t, s, 0)
	if s.HasTTLKeys() {
		t.Error("HasTTLKeys() = true after every TTL node left")
	}
	// A set over a TTL file replaces its heap entry.
	mustApply(t, s, Command{Op: OpSet, Key: "/1/a", Value: "x", Expiration: clk.exp(5)})
	mustApply(t, s, Command{Op: OpSet, Key: "/1/a", Value: "y", Expiration: clk.exp(6)})
	checkHeap(t, s, 1)
	mustApply(t, s, Command{Op: OpCompareAndDelete, Key: "/1/a", PrevValue: "y"})
	checkHeap(t, s, 0)
}

// checkHeap verifies that the heap holds exactly the tree's TTL nodes, in heap order.
func checkHeap(t *testing.T, s *Store, want int) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := heapConsistent(s); err != "" {
		t.Fatal(err)
	}
	if s.ttl.len() != want {
		t.Fatalf("heap has %d nodes, want %d", s.ttl.len(), want)
	}
}

func TestExpire(t *testing.T) {
	s, clk := newTestStore()
	w, err := s.Watch("/1", true, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Remove()
	mustApply(t, s, Command{Op: OpSet, Key: "/1/b", Value: "b", Expiration: clk.exp(5)})      // 1
	mustApply(t, s, Command{Op: OpSet, Key: "/1/a", Value: "a", Expiration: clk.exp(5)})      // 2: same time as /1/b
	mustApply(t, s, Command{Op: OpSet, Key: "/1/d/x", Value: "x", Expiration: clk.exp(7)})    // 3
	mustApply(t, s, Command{Op: OpUpdate, Key: "/1/d", Expiration: clk.exp(6)})               // 4: dir expires first
	mustApply(t, s, Command{Op: OpSet, Key: "/1/late", Value: "l", Expiration: clk.exp(100)}) // 5
	mustApply(t, s, Command{Op: OpExpire, Time: clk.exp(4)})
	if s.Index() != 5 {
		t.Fatalf("sweep before anything is due moved the index to %d", s.Index())
	}
	if e, err := s.Apply(&Command{Op: OpExpire, Time: clk.exp(7)}); e != nil || err != nil {
		t.Fatalf("Apply(expire) = %v, %v; want nil, nil", e, err)
	}
	want := []string{
		`{"action":"expire","node":{"key":"/a","modifiedIndex":6,"createdIndex":2},"prevNode":{"key":"/a","value":"a","expiration":"2026-11-22T09:30:05Z","ttl":5,"modifiedIndex":2,"createdIndex":2}}`,
		`{"action":"expire","node":{"key":"/b","modifiedIndex":7,"createdIndex":1},"prevNode":{"key":"/b","value":"b","expiration":"2026-11-22T09:30:05Z","ttl":5,"modifiedIndex":1,"createdIndex":1}}`,
		`{"action":"expire","node":{"key":"/d","dir":true,"modifiedIndex":8,"createdIndex":3},"prevNode":{"key":"/d","dir":true,"expiration":"2026-11-22T09:30:06Z","ttl":6,"modifiedIndex":3,"createdIndex":3}}`,
	}
	for range 5 { // the five writes
		<-w.EventChan()
	}
	for _, wnt := range want {
		if got := eventJSON(<-w.EventChan()); got != wnt {
			t.Errorf("expire event =\n%s\nwant\n%s", got, wnt)
		}
	}
	if s.Index() != 8 {
		t.Errorf("Index = %d, want 8 (one per expired node, the dir once)", s.Index())
	}
	if _, err := s.Get("/1/d/x", false, false); codeOf(err) != CodeKeyNotFound {
		t.Errorf("child of an expired dir: Get = %v, want 100", err)
	}
	checkHeap(t, s, 1)
	if got := s.Stats().ExpireCount; got != 3 {
		t.Errorf("ExpireCount = %d, want 3", got)
	}
	// Keys past their time stay readable until a sweep removes them (SPEC §2.8).
	clk.Advance(200 * time.Second)
	g, err := s.Get("/1/late", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventJSON(g), `{"action":"get","node":{"key":"/late","value":"l","expiration":"2026-11-22T09:31:40Z","ttl":-100,"modifiedIndex":5,"createdIndex":5}}`; got != want {
		t.Errorf("Get of an overdue key = %s, want %s", got, want)
	}
}

func TestUpdateWithPre2000ExpirationExpiresAtNextSweep(t *testing.T) {
	s, clk := newTestStore()
	set(t, s, "/1/u", "1")
	mustApply(t, s, Command{Op: OpUpdate, Key: "/1/u", Value: "2", Expiration: ExpirationFromTTL(clk.Now(), 99999999999)})
	mustApply(t, s, Command{Op: OpExpire, Time: clk.Now().UnixNano()})
	if _, err := s.Get("/1/u", false, false); codeOf(err) != CodeKeyNotFound {
		t.Errorf("Get after sweep = %v, want 100", err)
	}
}

// TestTTLZeroExpiresAtNextSweep: ttl=0 is "expire now", removed by the next sweep, while
// an empty ttl (Expiration 0) is permanent (SPEC §10.9).
func TestTTLZeroExpiresAtNextSweep(t *testing.T) {
	s, clk := newTestStore()
	mustApply(t, s, Command{Op: OpSet, Key: "/1/now", Value: "v", Expiration: clk.exp(0)})
	mustApply(t, s, Command{Op: OpSet, Key: "/1/forever", Value: "v"})
	mustApply(t, s, Command{Op: OpExpire, Time: clk.Now().UnixNano()})
	if _, err := s.Get("/1/now", false, false); codeOf(err) != CodeKeyNotFound {
		t.Errorf("ttl=0 key after sweep: %v, want 100", err)
	}
	if _, err := s.Get("/1/forever", false, false); err != nil {
		t.Errorf("permanent key after sweep: %v", err)
	}
	if s.Index() != 3 {
		t.Errorf("Index = %d, want 3", s.Index())
	}
}
