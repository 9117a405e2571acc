package store

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestAppendJSONString(t *testing.T) {
	// Expected outputs were recorded from the reference (Go 1.19 encoding/json).
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain", `"plain"`},
		{`<a>&"\é`, `"\u003ca\u003e\u0026\"\\é"`},
		{"\xff\u2028", `"\ufffd\u2028"`},
		{"\u2029", `"\u2029"`},
		{"a\x01\tb\x7f", "\"a\\u0001\\tb\x7f\""},
		{"a\bb\fc\rd\n", `"a\u0008b\u000cc\rd\n"`},
		{"\xe2\x80", `"\ufffd\ufffd"`},
		{"日本\x00", `"日本\u0000"`},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestAppendJSONStringMatchesEncodingJSON checks random strings against encoding/json,
// which escapes the same way except for \b and \f (Go 1.22 changed those to short forms).
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "<", ">", "&", `"`, `\`, "\n", "\x01", "\x1f", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xc3", "日", "😀", "_", "/"}
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := sb.String()
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

func TestTTLRounding(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := now.Add(10 * time.Second).UnixNano()
	tests := []struct {
		name    string
		elapsed time.Duration
		want    int64
	}{
		{"fresh", 0, 10},
		{"after 0.4s rounds up", 400 * time.Millisecond, 10},
		{"after 1.4s", 1400 * time.Millisecond, 9},
		{"one nanosecond left", 10*time.Second - 1, 1},
		{"exactly due", 10 * time.Second, 0},
		{"half a second late truncates to 0", 10500 * time.Millisecond, 0},
		{"1.5s late", 11500 * time.Millisecond, -1},
	}
	for _, tt := range tests {
		if got := ttlAt(exp, now.Add(tt.elapsed)); got != tt.want {
			t.Errorf("%s: ttlAt = %d, want %d", tt.name, got, tt.want)
		}
	}
	// A far-past expiration (update with a wrapped TTL) saturates like time.Sub.
	if got := ttlAt(-7766279630452241920, now); got != -9223372036 {
		t.Errorf("ttlAt(far past) = %d, want -9223372036", got)
	}
}

func TestEventJSON(t *testing.T) {
	exp := time.Date(2026, 11, 22, 9, 32, 19, 63067367, time.UTC).UnixNano()
	file := func(key, value string, m, c uint64) *NodeExtern {
		return &NodeExtern{Key: key, Value: value, HasValue: true, ModifiedIndex: m, CreatedIndex: c}
	}
	tests := []struct {
		name string
		ev   *Event
		trim string
		want string
	}{
		{"set", &Event{Action: ActionSet, Node: file("/cfg/db", "pg1", 7, 7)}, "",
			`{"action":"set","node":{"key":"/cfg/db","value":"pg1","modifiedIndex":7,"createdIndex":7}}`},
		{"replace", &Event{Action: ActionSet, Node: file("/cfg/db", "pg2", 8, 8), PrevNode: file("/cfg/db", "pg1", 7, 7)}, "",
			`{"action":"set","node":{"key":"/cfg/db","value":"pg2","modifiedIndex":8,"createdIndex":8},"prevNode":{"key":"/cfg/db","value":"pg1","modifiedIndex":7,"createdIndex":7}}`},
		{"delete", &Event{Action: ActionDelete, Node: &NodeExtern{Key: "/cfg/db", ModifiedIndex: 9, CreatedIndex: 8}, PrevNode: file("/cfg/db", "pg2", 8, 8)}, "",
			`{"action":"delete","node":{"key":"/cfg/db","modifiedIndex":9,"createdIndex":8},"prevNode":{"key":"/cfg/db","value":"pg2","modifiedIndex":8,"createdIndex":8}}`},
		{"expire", &Event{Action: ActionExpire, Node: &NodeExtern{Key: "/1/lock", ModifiedIndex: 46, CreatedIndex: 43},
			PrevNode: &NodeExtern{Key: "/1/lock", Value: "me", HasValue: true, Expiration: exp, ModifiedIndex: 43, CreatedIndex: 43}}, "/1",
			`{"action":"expire","node":{"key":"/lock","modifiedIndex":46,"createdIndex":43},"prevNode":{"key":"/lock","value":"me","expiration":"2026-11-22T09:32:19.063067367Z","modifiedIndex":43,"createdIndex":43}}`},
		{"empty root", &Event{Action: ActionGet, Node: &NodeExtern{Key: "/1", Dir: true}}, "/1",
			`{"action":"get","node":{"dir":true}}`},
		{"empty value and ttl", &Event{Action: ActionSet, Node: &NodeExtern{Key: "/1/k", HasValue: true, Expiration: exp, TTL: 5, ModifiedIndex: 1, CreatedIndex: 1}}, "/1",
			`{"action":"set","node":{"key":"/k","value":"","expiration":"2026-11-22T09:32:19.063067367Z","ttl":5,"modifiedIndex":1,"createdIndex":1}}`},
		{"negative ttl shown", &Event{Action: ActionGet, Node: &NodeExtern{Key: "/k", HasValue: true, Value: "1", Expiration: exp, TTL: -1, ModifiedIndex: 31, CreatedIndex: 31}}, "",
			`{"action":"get","node":{"key":"/k","value":"1","expiration":"2026-11-22T09:32:19.063067367Z","ttl":-1,"modifiedIndex":31,"createdIndex":31}}`},
		{"listing", &Event{Action: ActionGet, Node: &NodeExtern{Key: "/1/d", Dir: true, Nodes: []*NodeExtern{
			file("/1/d/a", "1", 2, 2), {Key: "/1/d/sub", Dir: true, ModifiedIndex: 3, CreatedIndex: 3, Nodes: []*NodeExtern{file("/1/d/sub/x", "", 3, 3)}}},
			ModifiedIndex: 2, CreatedIndex: 2}}, "/1",
			`{"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/a","value":"1","modifiedIndex":2,"createdIndex":2},{"key":"/d/sub","dir":true,"nodes":[{"key":"/d/sub/x","value":"","modifiedIndex":3,"createdIndex":3}],"modifiedIndex":3,"createdIndex":3}],"modifiedIndex":2,"createdIndex":2}}`},
		{"trim is a whole component", &Event{Action: ActionSet, Node: file("/10/x", "v", 1, 1)}, "/1",
			`{"action":"set","node":{"key":"/10/x","value":"v","modifiedIndex":1,"createdIndex":1}}`},
		{"expiration trailing zeros trimmed", &Event{Action: ActionSet, Node: &NodeExtern{Key: "/k", Dir: true, Expiration: time.Date(2026, 1, 2, 3, 4, 5, 500000000, time.UTC).UnixNano(), TTL: 3, ModifiedIndex: 1, CreatedIndex: 1}}, "",
			`{"action":"set","node":{"key":"/k","dir":true,"expiration":"2026-01-02T03:04:05.5Z","ttl":3,"modifiedIndex":1,"createdIndex":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.ev.AppendJSON(nil, tt.trim))
			if got != tt.want+"\n" {
				t.Errorf("AppendJSON =\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("AppendJSON output is not valid JSON: %s", got)
			}
		})
	}
}

func TestEventJSONNoValue(t *testing.T) {
	e := &Event{Action: ActionCompareAndSwap, Node: &NodeExtern{Key: "/k", HasValue: true, Value: "v"}}
	if got, want := string(e.AppendJSONNoValue(nil)), `{"action":"compareAndSwap"}`+"\n"; got != want {
		t.Errorf("AppendJSONNoValue = %q, want %q", got, want)
	}
}

func TestStatsJSON(t *testing.T) {
	st := Stats{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	want := `{"getsSuccess":1,"getsFail":2,"setsSuccess":3,"setsFail":4,"deleteSuccess":5,"deleteFail":6,"updateSuccess":7,"updateFail":8,"createSuccess":9,"createFail":10,"compareAndSwapSuccess":11,"compareAndSwapFail":12,"compareAndDeleteSuccess":13,"compareAndDeleteFail":14,"expireCount":15,"watchers":16}`
	if got := string(st.AppendJSON(nil)); got != want {
		t.Errorf("AppendJSON =\n%s\nwant\n%s", got, want)
	}
	// The struct tags agree with the hand-written encoder.
	if b, _ := json.Marshal(st); string(b) != want {
		t.Errorf("json.Marshal = %s", b)
	}
}
