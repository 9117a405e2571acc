package store

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenStore builds a small store exercising every part of the snapshot format.
func goldenStore(t *testing.T) *Store {
	s, clk := newTestStore(WithHistorySize(8))
	set(t, s, "/0/members/8e9e05c52164694d/attributes", `{"name":"default"}`)
	set(t, s, "/1/cfg/db", "pg1")
	set(t, s, "/1/cfg/db", "pg2")
	mustApply(t, s, Command{Op: OpSet, Key: "/1/lock", Value: "me", Expiration: clk.exp(30)})
	mustApply(t, s, Command{Op: OpCreate, Key: "/1/queue", Dir: true, Unique: true, Expiration: clk.exp(60)})
	set(t, s, "/1/queue/_hidden", "<&>")
	set(t, s, "/1/bin\xff", "\x00\xfe value")
	mustApply(t, s, Command{Op: OpUpdate, Key: "/1/lock", Refresh: true, Expiration: clk.exp(40)})
	mustApply(t, s, Command{Op: OpDelete, Key: "/1/cfg/db"})
	mustApply(t, s, Command{Op: OpSet, Key: "/1/t", Value: "x", Expiration: clk.exp(1)})
	mustApply(t, s, Command{Op: OpExpire, Time: clk.exp(2)})
	s.Get("/1", true, true)
	return s
}

func TestSnapshotGolden(t *testing.T) {
	s := goldenStore(t)
	got, err := s.Save()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "snapshot.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./store -run TestSnapshotGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Save() differs from %s:\n got %s\nwant %s", path, got, want)
	}
	// The golden file recovers into the same state.
	r, _ := newTestStore(WithHistorySize(8))
	if err := r.Recover(want); err != nil {
		t.Fatalf("Recover(golden) = %v", err)
	}
	assertSameState(t, s, r)
}

// assertSameState compares two stores through their public surface.
func assertSameState(t *testing.T, a, b *Store) {
	t.Helper()
	sa, _ := a.Save()
	sb, _ := b.Save()
	if !bytes.Equal(sa, sb) {
		t.Fatalf("saved states differ:\n%s\n%s", sa, sb)
	}
	if a.Index() != b.Index() {
		t.Fatalf("Index %d != %d", a.Index(), b.Index())
	}
	ga, _, _ := a.AppendGetJSON(nil, "/", true, true, "")
	gb, _, _ := b.AppendGetJSON(nil, "/", true, true, "")
	if !bytes.Equal(ga, gb) {
		t.Fatalf("trees differ:\n%s\n%s", ga, gb)
	}
	na, oka := a.NextExpiration()
	nb, okb := b.NextExpiration()
	if na != nb || oka != okb {
		t.Fatalf("NextExpiration %d,%v != %d,%v", na, oka, nb, okb)
	}
	b.mu.RLock()
	msg := heapConsistent(b)
	b.mu.RUnlock()
	if msg != "" {
		t.Fatal(msg)
	}
	wa, errA := a.Watch("/", true, true, 1)
	wb, errB := b.Watch("/", true, true, 1)
	if codeOf(errA) != codeOf(errB) {
		t.Fatalf("history windows differ: %v / %v", errA, errB)
	}
	if errA == nil {
		ea, _ := drain(wa)
		eb, _ := drain(wb)
		var ja, jb []byte
		for _, e := range ea {
			ja = e.AppendJSON(ja, "")
		}
		for _, e := range eb {
			jb = e.AppendJSON(jb, "")
		}
		if !bytes.Equal(ja, jb) {
			t.Fatalf("replayed history differs:\n%s\n%s", ja, jb)
		}
		wa.Remove()
		wb.Remove()
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		data := make([]byte, 400)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		s, _ := newTestStore(WithHistorySize(16))
		for _, c := range opsFromBytes(data) {
			s.Apply(&c)
		}
		snap, err := s.Save()
		if err != nil {
			t.Fatal(err)
		}
		restored, _ := newTestStore(WithHistorySize(16))
		set(t, restored, "/1/old", "state to be replaced")
		if err := restored.Recover(snap); err != nil {
			t.Fatalf("seed %d: Recover = %v", seed, err)
		}
		assertSameState(t, s, restored)
		if s.Stats() != restored.Stats() {
			t.Fatalf("seed %d: stats %+v != %+v", seed, s.Stats(), restored.Stats())
		}
		// Both continue identically.
		for _, c := range opsFromBytes(data[200:]) {
			s.Apply(&c)
			restored.Apply(&c)
		}
		assertSameState(t, s, restored)
	}
}

func TestRecoverEndsWatchers(t *testing.T) {
	s := goldenStore(t)
	snap, _ := s.Save()
	w, _ := s.Watch("/1/x", false, true, 0)
	if err := s.Recover(snap); err != nil {
		t.Fatal(err)
	}
	if _, closed := drain(w); !closed {
		t.Fatal("watcher survived recovery")
	}
	var se *Error
	if !errors.As(w.Err(), &se) || se.Code != CodeWatcherCleared {
		t.Errorf("Err() = %v, want code 400", w.Err())
	}
	if s.Stats().Watchers != 0 {
		t.Error("hub not empty after recovery")
	}
}

func TestRecoverRejectsBadSnapshots(t *testing.T) {
	good, _ := goldenStore(t).Save()
	g := string(good)
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"not json", "snapshot"},
		{"no version", `{"index":0,"nodes":[{"key":"/","dir":true}]}`},
		{"future version", strings.Replace(g, `"version":1`, `"version":2`, 1)},
		{"no nodes", `{"version":1,"index":0}`},
		{"root is a file", `{"version":1,"index":0,"nodes":[{"key":"/"}]}`},
		{"unclean key", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true},{"key":"/a/","modified":1,"created":1}]}`},
		{"orphan", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true},{"key":"/a/b","modified":1,"created":1}]}`},
		{"child of a file", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true},{"key":"/a","modified":1,"created":1},{"key":"/a/b","modified":1,"created":1}]}`},
		{"duplicate", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true},{"key":"/a","modified":1,"created":1},{"key":"/a","modified":1,"created":1}]}`},
		{"index beyond the store", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true},{"key":"/a","modified":2,"created":2}]}`},
		{"bad base64", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true},{"key":"\u0000!!","modified":1,"created":1}]}`},
		{"history gap", `{"version":1,"index":3,"nodes":[{"key":"/","dir":true}],"history":[{"action":"set","node":{"key":"/a","modified":1}},{"action":"set","node":{"key":"/a","modified":3}}]}`},
		{"history behind the index", `{"version":1,"index":3,"nodes":[{"key":"/","dir":true}],"history":[{"action":"set","node":{"key":"/a","modified":2}}]}`},
		{"history without node", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true}],"history":[{"action":"set"}]}`},
		{"unknown action", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true}],"history":[{"action":"get","node":{"key":"/a","modified":1}}]}`},
		{"namespace is a file", `{"version":1,"index":1,"nodes":[{"key":"/","dir":true},{"key":"/1","modified":1,"created":1}]}`},
		{"wrong types", `{"version":1,"index":"1","nodes":[]}`},
	}
	for i := 1; i < len(good); i += len(good)/40 + 1 {
		tests = append(tests, struct{ name, data string }{"truncated", g[:i]})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goldenStore(t)
			before, _ := s.Save()
			err := s.Recover([]byte(tt.data))
			if !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("Recover = %v, want ErrBadSnapshot", err)
			}
			if after, _ := s.Save(); !bytes.Equal(before, after) {
				t.Error("a failed Recover changed the state")
			}
		})
	}
}

func TestRecoverIntoSmallerHistory(t *testing.T) {
	s, _ := newTestStore()
	for range 20 {
		set(t, s, "/1/k", "v")
	}
	snap, _ := s.Save()
	r, _ := newTestStore(WithHistorySize(5))
	if err := r.Recover(snap); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Watch("/1/k", false, false, 15); codeOf(err) != CodeEventIndexCleared {
		t.Errorf("Watch(15) = %v, want 401 (window 16..20)", err)
	}
	if _, err := r.Watch("/1/k", false, false, 16); err != nil {
		t.Errorf("Watch(16) = %v", err)
	}
}

func FuzzRecover(f *testing.F) {
	good, _ := goldenStore(&testing.T{}).Save()
	f.Add(good)
	f.Add([]byte(`{"version":1,"index":0,"nodes":[{"key":"/","dir":true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _ := newTestStore()
		if err := s.Recover(data); err != nil {
			if !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("Recover error %v does not wrap ErrBadSnapshot", err)
			}
			return
		}
		s.mu.RLock()
		msg := heapConsistent(s)
		s.mu.RUnlock()
		if msg != "" {
			t.Fatal(msg)
		}
		again, _ := s.Save()
		r, _ := newTestStore()
		if err := r.Recover(again); err != nil {
			t.Fatalf("re-recovering a saved recovered state: %v", err)
		}
		assertSameState(t, s, r)
	})
}
