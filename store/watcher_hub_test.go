package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// drain returns the events queued on w without blocking, and whether the channel is closed.
func drain(w *Watcher) (events []*Event, closed bool) {
	for {
		select {
		case e, ok := <-w.EventChan():
			if !ok {
				return events, true
			}
			events = append(events, e)
		default:
			return events, false
		}
	}
}

func keysOf(events []*Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = fmt.Sprintf("%s %s@%d", e.Action, e.Node.Key, e.Index())
	}
	return out
}

func TestWatchLive(t *testing.T) {
	setF := func(key string) Command { return Command{Op: OpSet, Key: key, Value: "v"} }
	tests := []struct {
		name      string
		setup     []Command
		key       string
		recursive bool
		cmds      []Command
		want      []string
	}{
		{name: "exact key", key: "/1/foo", cmds: []Command{setF("/1/foo")}, want: []string{"set /1/foo@1"}},
		{name: "non-recursive dir ignores children", setup: []Command{setF("/1/d/a")}, key: "/1/d", cmds: []Command{setF("/1/d/b")}},
		{name: "recursive dir gets children", key: "/1/d", recursive: true, cmds: []Command{setF("/1/d/x/y")}, want: []string{"set /1/d/x/y@1"}},
		{name: "recursive ignores hidden below", key: "/1/h", recursive: true, cmds: []Command{setF("/1/h/_y"), setF("/1/h/_z/w"), setF("/1/h/ok")}, want: []string{"set /1/h/ok@3"}},
		{name: "watcher on the hidden key itself", key: "/1/h/_y", cmds: []Command{setF("/1/h/_y")}, want: []string{"set /1/h/_y@1"}},
		{name: "recursive watcher on a hidden dir", key: "/1/_h", recursive: true, cmds: []Command{setF("/1/_h/z")}, want: []string{"set /1/_h/z@1"}},
		{name: "recursive on the root hides top-level hidden keys", key: "/", recursive: true, cmds: []Command{setF("/_x"), setF("/y")}, want: []string{"set /y@2"}},
		{name: "sibling with the same prefix", key: "/1/foo", recursive: true, cmds: []Command{setF("/1/foobar")}},
		{name: "dir delete reaches watchers on nodes below",
			setup: []Command{setF("/1/d/a"), setF("/1/d/e/f")}, key: "/1/d/e/f",
			cmds: []Command{{Op: OpDelete, Key: "/1/d", Recursive: true}}, want: []string{"delete /1/d@3"}},
		{name: "dir delete reaches a hidden node below",
			setup: []Command{setF("/1/d/_h")}, key: "/1/d/_h",
			cmds: []Command{{Op: OpDelete, Key: "/1/d", Recursive: true}}, want: []string{"delete /1/d@2"}},
		{name: "dir delete does not reach a key where no node was",
			setup: []Command{setF("/1/d/a")}, key: "/1/d/missing",
			cmds: []Command{{Op: OpDelete, Key: "/1/d", Recursive: true}}},
		{name: "dir delete reaches a non-recursive watcher on the dir",
			setup: []Command{setF("/1/d/a")}, key: "/1/d",
			cmds: []Command{{Op: OpDelete, Key: "/1/d", Recursive: true}}, want: []string{"delete /1/d@2"}},
		{name: "refresh is never notified",
			setup: []Command{setF("/1/k")}, key: "/1/k",
			cmds: []Command{{Op: OpUpdate, Key: "/1/k", Refresh: true, Expiration: 2e18}, {Op: OpSet, Key: "/1/k", Refresh: true}, {Op: OpCompareAndSwap, Key: "/1/k", PrevValue: "v", Refresh: true}, setF("/1/k")},
			want: []string{"set /1/k@5"}},
		{name: "failed writes are not notified", setup: []Command{setF("/1/k")}, key: "/1/k",
			cmds: []Command{{Op: OpCreate, Key: "/1/k"}, {Op: OpCompareAndSwap, Key: "/1/k", PrevValue: "no"}}},
		{name: "expired dir reaches watchers below",
			setup: []Command{{Op: OpSet, Key: "/1/d", Dir: true, Expiration: 2e18}, setF("/1/d/a")}, key: "/1/d/a",
			cmds: []Command{{Op: OpExpire, Time: 2e18}}, want: []string{"expire /1/d@3"}},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, stream), func(t *testing.T) {
				s, _ := newTestStore()
				for _, c := range tt.setup {
					mustApply(t, s, c)
				}
				w, err := s.Watch(tt.key, tt.recursive, stream, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Remove()
				for _, c := range tt.cmds {
					s.Apply(&c)
				}
				got, closed := drain(w)
				want := tt.want
				if !stream && len(want) > 1 {
					want = want[:1]
				}
				if fmt.Sprint(keysOf(got)) != fmt.Sprint(want) {
					t.Errorf("events = %v, want %v", keysOf(got), want)
				}
				if oneShotDone := !stream && len(want) > 0; closed != oneShotDone {
					t.Errorf("closed = %v, want %v", closed, oneShotDone)
				}
				if wantCount := int64(1); closed || stream {
					if closed {
						wantCount = 0
					}
					if got := s.hub.count.Load(); got != wantCount {
						t.Errorf("hub count = %d, want %d", got, wantCount)
					}
				}
			})
		}
	}
}

func TestWatchHistory(t *testing.T) {
	s, clk := newTestStore()
	set(t, s, "/1/h/_y", "1")                                                                    // 1
	set(t, s, "/1/k", "1")                                                                       // 2
	mustApply(t, s, Command{Op: OpUpdate, Key: "/1/k", Refresh: true, Expiration: clk.exp(100)}) // 3 refresh
	set(t, s, "/1/q/a", "1")                                                                     // 4
	mustApply(t, s, Command{Op: OpDelete, Key: "/1/q", Recursive: true})                         // 5
	set(t, s, "/1/k", "2")                                                                       // 6
	tests := []struct {
		name      string
		key       string
		recursive bool
		since     uint64
		want      []string // stream: every match; one-shot: the first
	}{
		{"exact from 1", "/1/k", false, 1, []string{"set /1/k@2", "set /1/k@6"}},
		{"replay ignores the hidden filter", "/1/h", true, 1, []string{"set /1/h/_y@1", "set /1/q/a@4", "delete /1/q@5", "set /1/k@6"}[:1]},
		{"refresh is skipped", "/1/k", false, 3, []string{"set /1/k@6"}},
		{"dir delete matches any key inside", "/1/q/zz/yy", false, 5, []string{"delete /1/q@5"}},
		{"dir delete does not match a sibling prefix", "/1/qfoo", false, 5, nil},
		{"recursive from the middle", "/1", true, 4, []string{"set /1/q/a@4", "delete /1/q@5", "set /1/k@6"}},
		{"future index", "/1/k", false, 7, nil},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, stream), func(t *testing.T) {
				w, err := s.Watch(tt.key, tt.recursive, stream, tt.since)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Remove()
				if w.StartIndex() != 6 {
					t.Errorf("StartIndex = %d, want 6", w.StartIndex())
				}
				got, closed := drain(w)
				want := tt.want
				if !stream && len(want) > 1 {
					want = want[:1]
				}
				if fmt.Sprint(keysOf(got)) != fmt.Sprint(want) {
					t.Errorf("events = %v, want %v", keysOf(got), want)
				}
				if closed != (!stream && len(want) > 0) {
					t.Errorf("closed = %v", closed)
				}
			})
		}
	}
	// The hidden-filter case above, streamed: every event under /1/h in order.
	w, _ := s.Watch("/1/h", true, true, 1)
	got, _ := drain(w)
	w.Remove()
	if fmt.Sprint(keysOf(got)) != "[set /1/h/_y@1]" {
		t.Errorf("stream replay of /1/h = %v", keysOf(got))
	}
}

// TestWatchRefreshIndexWaitsForNextEvent: a watch whose waitIndex is a refresh waits for
// the next real event (SPEC §2.9).
func TestWatchRefreshIndexWaitsForNextEvent(t *testing.T) {
	s, clk := newTestStore()
	set(t, s, "/1/k", "1")
	mustApply(t, s, Command{Op: OpSet, Key: "/1/k", Refresh: true, Expiration: clk.exp(9)}) // 2
	w, err := s.Watch("/1/k", false, false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := drain(w); len(got) != 0 {
		t.Fatalf("watch at a refresh index returned %v", keysOf(got))
	}
	set(t, s, "/1/k", "2")
	if got, _ := drain(w); fmt.Sprint(keysOf(got)) != "[set /1/k@3]" {
		t.Errorf("events = %v", keysOf(got))
	}
}

func TestWatchHistoryCleared(t *testing.T) {
	s, _ := newTestStore()
	for range 1147 {
		set(t, s, "/1/k", "v")
	}
	_, err := s.Watch("/1/k", false, false, 10)
	want := `{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [148/10]","index":1147}` + "\n"
	if err == nil || string(err.(*Error).AppendJSON(nil)) != want {
		t.Fatalf("Watch = %v, want %s", err, want)
	}
	if _, err := s.Watch("/1/k", false, true, 147); codeOf(err) != CodeEventIndexCleared {
		t.Errorf("stream Watch(147) = %v, want 401", err)
	}
	w, err := s.Watch("/1/k", false, false, 148)
	if err != nil {
		t.Fatalf("Watch(oldest) = %v", err)
	}
	if got, _ := drain(w); len(got) != 1 || got[0].Index() != 148 {
		t.Errorf("Watch(oldest) = %v", keysOf(got))
	}
	if s.hub.count.Load() != 0 {
		t.Error("a watcher answered from history stays registered")
	}
}

func TestStreamReplayThenLive(t *testing.T) {
	s, _ := newTestStore(WithWatcherBuffer(2))
	for i := range 10 {
		set(t, s, fmt.Sprintf("/1/d/%d", i), "v")
	}
	// Ten replayed events do not overflow a buffer of two: the replay has its own room.
	w, err := s.Watch("/1/d", true, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Remove()
	set(t, s, "/1/d/live", "v")
	got, closed := drain(w)
	if len(got) != 11 || closed {
		t.Fatalf("got %d events, closed %v; want 11 open", len(got), closed)
	}
	for i, e := range got {
		if e.Index() != uint64(i+1) {
			t.Fatalf("event %d has index %d", i, e.Index())
		}
	}
}

func TestStreamOverflow(t *testing.T) {
	s, _ := newTestStore(WithWatcherBuffer(2))
	w, err := s.Watch("/1/k", false, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // the applier never blocks on the full watcher
		set(t, s, "/1/k", "v")
	}
	got, closed := drain(w)
	if len(got) != 2 || !closed {
		t.Fatalf("got %d events, closed %v; want 2 then closed", len(got), closed)
	}
	if !errors.Is(w.Err(), ErrWatcherOverflow) {
		t.Errorf("Err() = %v, want ErrWatcherOverflow", w.Err())
	}
	if s.hub.count.Load() != 0 || len(s.hub.lists) != 0 {
		t.Errorf("overflowed watcher still in the hub")
	}
	w.Remove() // idempotent after the end
}

func TestOneShotEnds(t *testing.T) {
	s, _ := newTestStore()
	w, _ := s.Watch("/1/k", false, false, 0)
	if w.Err() != nil {
		t.Errorf("live watcher Err() = %v", w.Err())
	}
	set(t, s, "/1/k", "v")
	set(t, s, "/1/k", "w")
	got, closed := drain(w)
	if len(got) != 1 || !closed || w.Err() != nil {
		t.Errorf("one-shot: %d events, closed %v, err %v", len(got), closed, w.Err())
	}
	if s.hub.count.Load() != 0 || len(s.hub.lists) != 0 {
		t.Error("one-shot watcher left in the hub")
	}
}

func TestAbandonedWatchersLeaveNothing(t *testing.T) {
	s, _ := newTestStore()
	set(t, s, "/1/k", "v")
	ws := make([]*Watcher, 0, 10000)
	for i := range 10000 {
		w, err := s.Watch(fmt.Sprintf("/1/k%d", i%97), i%2 == 0, i%3 == 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	if got := s.Stats().Watchers; got != 10000 {
		t.Fatalf("Watchers = %d, want 10000", got)
	}
	for i, w := range ws {
		w.Remove()
		if i%2 == 0 {
			w.Remove()
		}
	}
	if got := s.Stats().Watchers; got != 0 || len(s.hub.lists) != 0 {
		t.Errorf("after abandoning: Watchers = %d, %d keys still listed", got, len(s.hub.lists))
	}
	for _, w := range ws {
		if _, closed := drain(w); !closed {
			t.Fatal("removed watcher's channel is open")
		}
	}
}

func TestRemoveFromTheMiddleOfAList(t *testing.T) {
	s, _ := newTestStore()
	var ws [3]*Watcher
	for i := range ws {
		ws[i], _ = s.Watch("/1/k", false, true, 0)
	}
	ws[1].Remove()
	set(t, s, "/1/k", "v")
	for i, w := range ws {
		got, _ := drain(w)
		if want := map[bool]int{true: 0, false: 1}[i == 1]; len(got) != want {
			t.Errorf("watcher %d got %d events, want %d", i, len(got), want)
		}
	}
	ws[0].Remove()
	ws[2].Remove()
	if len(s.hub.lists) != 0 {
		t.Error("list not deleted")
	}
}

func TestWatchSinceFuture(t *testing.T) {
	s, _ := newTestStore()
	w, _ := s.Watch("/1/k", false, false, 3)
	set(t, s, "/1/k", "1")
	set(t, s, "/1/k", "2")
	if got, _ := drain(w); len(got) != 0 {
		t.Fatalf("events before sinceIndex delivered: %v", keysOf(got))
	}
	set(t, s, "/1/k", "3")
	if got, _ := drain(w); fmt.Sprint(keysOf(got)) != "[set /1/k@3]" {
		t.Errorf("events = %v", keysOf(got))
	}
}

// TestConcurrentReadersAndWatchers runs one applier against readers and watchers; it is
// meant for -race.
func TestConcurrentReadersAndWatchers(t *testing.T) {
	s, clk := newTestStore(WithWatcherBuffer(4))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 1024)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("/1/d/%d", (i+r)%20)
				s.Get("/1/d", true, true)
				buf, _, _ = s.AppendGetJSON(buf[:0], key, false, false, "/1")
				w, err := s.Watch("/1/d", true, i%2 == 0, 0)
				if err == nil {
					drain(w)
					w.Remove()
				}
				s.Stats()
				s.NextExpiration()
			}
		}()
	}
	for i := range 3000 {
		c := Command{Op: OpSet, Key: fmt.Sprintf("/1/d/%d", i%20), Value: "v", Expiration: clk.exp(uint64(i % 3))}
		s.Apply(&c)
		if i%50 == 0 {
			mustApply(t, s, Command{Op: OpExpire, Time: clk.exp(1)})
		}
		if i%500 == 0 {
			snap, err := s.Save()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Recover(snap); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
}
