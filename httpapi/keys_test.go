package httpapi

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/etcd2/etcd2/store"
)

// keyStep is one request of a keys scenario and its exact expected answer.
type keyStep struct {
	name      string
	method    string
	target    string
	body      string // url-encoded body
	hdr       []string
	wantCode  int
	wantBody  string
	wantIndex string // X-Etcd-Index
}

// runKeySteps plays steps in order against ta and checks status, body and headers
// (SPEC §2.10: raft headers only on success, X-Etcd-Index always, JSON, cluster ID).
func runKeySteps(t *testing.T, ta *testAPI, steps []keyStep) {
	t.Helper()
	for _, st := range steps {
		res := ta.do(t, st.method, st.target, st.body, st.hdr...)
		if res.status != st.wantCode || res.body != st.wantBody {
			t.Fatalf("%s: %s %s = %d %q, want %d %q", st.name, st.method, st.target, res.status, res.body, st.wantCode, st.wantBody)
		}
		checkKeyHeaders(t, st.name, res, st.wantIndex)
	}
}

func checkKeyHeaders(t *testing.T, name string, res response, wantIndex string) {
	t.Helper()
	success := res.status < 300
	if got := res.header.Get("X-Etcd-Index"); got != wantIndex {
		t.Errorf("%s: X-Etcd-Index = %q, want %q", name, got, wantIndex)
	}
	if got := res.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json", name, got)
	}
	if got := res.header.Get("X-Etcd-Cluster-Id"); got != "d5ed76a1906424f1" {
		t.Errorf("%s: X-Etcd-Cluster-Id = %q, want d5ed76a1906424f1", name, got)
	}
	_, hasIndex := res.header["X-Raft-Index"]
	term, hasTerm := res.header["X-Raft-Term"]
	if hasIndex != success || hasTerm != success {
		t.Errorf("%s: raft headers present = %v/%v, want %v", name, hasIndex, hasTerm, success)
	}
	if success && term[0] != "2" {
		t.Errorf("%s: X-Raft-Term = %q, want 2", name, term)
	}
}

// TestKeysScenario walks every row of SPEC §2.3 and the store errors a single member
// produces, with exact bodies.
func TestKeysScenario(t *testing.T) {
	ta := newTestAPI(t)
	steps := []keyStep{
		{"set new", "PUT", "/v2/keys/a?value=1", "", nil, 201,
			`{"action":"set","node":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}` + "\n", "1"},
		{"set existing resets createdIndex", "PUT", "/v2/keys/a", "value=2", nil, 200,
			`{"action":"set","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":2},"prevNode":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}` + "\n", "2"},
		{"get", "GET", "/v2/keys/a", "", nil, 200,
			`{"action":"get","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":2}}` + "\n", "2"},
		{"head", "HEAD", "/v2/keys/a", "", nil, 200, "", "2"},
		{"quorum get", "GET", "/v2/keys/a?quorum=true", "", nil, 200,
			`{"action":"get","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":2}}` + "\n", "2"},
		{"quorum beats wait", "GET", "/v2/keys/a?quorum=true&wait=true", "", nil, 200,
			`{"action":"get","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":2}}` + "\n", "2"},
		{"stream without wait is a get", "GET", "/v2/keys/a?stream=true", "", nil, 200,
			`{"action":"get","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":2}}` + "\n", "2"},
		{"create existing", "PUT", "/v2/keys/a?prevExist=false&value=3", "", nil, 412,
			`{"errorCode":105,"message":"Key already exists","cause":"/a","index":2}` + "\n", "2"},
		{"create", "PUT", "/v2/keys/b?prevExist=false&value=x", "", nil, 201,
			`{"action":"create","node":{"key":"/b","value":"x","modifiedIndex":3,"createdIndex":3}}` + "\n", "3"},
		{"update", "PUT", "/v2/keys/b?prevExist=true&value=y", "", nil, 200,
			`{"action":"update","node":{"key":"/b","value":"y","modifiedIndex":4,"createdIndex":3},"prevNode":{"key":"/b","value":"x","modifiedIndex":3,"createdIndex":3}}` + "\n", "4"},
		{"compareAndSwap", "PUT", "/v2/keys/b?prevValue=y&value=z", "", nil, 200,
			`{"action":"compareAndSwap","node":{"key":"/b","value":"z","modifiedIndex":5,"createdIndex":3},"prevNode":{"key":"/b","value":"y","modifiedIndex":4,"createdIndex":3}}` + "\n", "5"},
		{"cas value mismatch", "PUT", "/v2/keys/b?prevValue=nope&value=w", "", nil, 412,
			`{"errorCode":101,"message":"Compare failed","cause":"[nope != z]","index":5}` + "\n", "5"},
		{"cas index mismatch", "PUT", "/v2/keys/b?prevIndex=1&value=w", "", nil, 412,
			`{"errorCode":101,"message":"Compare failed","cause":"[1 != 5]","index":5}` + "\n", "5"},
		{"cas both mismatch", "PUT", "/v2/keys/b?prevValue=nope&prevIndex=1&value=w", "", nil, 412,
			`{"errorCode":101,"message":"Compare failed","cause":"[nope != z] [1 != 5]","index":5}` + "\n", "5"},
		{"update missing", "PUT", "/v2/keys/missing?prevExist=true&value=v", "", nil, 404,
			`{"errorCode":100,"message":"Key not found","cause":"/missing","index":5}` + "\n", "5"},
		{"post", "POST", "/v2/keys/q?value=job", "", nil, 201,
			`{"action":"create","node":{"key":"/q/00000000000000000006","value":"job","modifiedIndex":6,"createdIndex":6}}` + "\n", "6"},
		{"compareAndDelete", "DELETE", "/v2/keys/b?prevValue=z", "", nil, 200,
			`{"action":"compareAndDelete","node":{"key":"/b","modifiedIndex":7,"createdIndex":3},"prevNode":{"key":"/b","value":"z","modifiedIndex":5,"createdIndex":3}}` + "\n", "7"},
		{"delete ignores prevExist", "DELETE", "/v2/keys/a?prevExist=false", "", nil, 200,
			`{"action":"delete","node":{"key":"/a","modifiedIndex":8,"createdIndex":2},"prevNode":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":2}}` + "\n", "8"},
		{"delete missing", "DELETE", "/v2/keys/a", "", nil, 404,
			`{"errorCode":100,"message":"Key not found","cause":"/a","index":8}` + "\n", "8"},
		{"delete root", "DELETE", "/v2/keys/", "", nil, 400,
			`{"errorCode":107,"message":"Root is read only","cause":"/","index":8}` + "\n", "8"},
		{"put root", "PUT", "/v2/keys?value=x", "", nil, 400,
			`{"errorCode":107,"message":"Root is read only","cause":"/","index":8}` + "\n", "8"},
		// The reference strips the store prefix from the cause, leaving nothing to show.
		{"cad root", "DELETE", "/v2/keys/?prevValue=a", "", nil, 403,
			`{"errorCode":102,"message":"Not a file","index":8}` + "\n", "8"},
		{"set under new dir", "PUT", "/v2/keys/d/x?value=1", "", nil, 201,
			`{"action":"set","node":{"key":"/d/x","value":"1","modifiedIndex":9,"createdIndex":9}}` + "\n", "9"},
		{"set on dir", "PUT", "/v2/keys/d?value=1", "", nil, 403,
			`{"errorCode":102,"message":"Not a file","cause":"/d","index":9}` + "\n", "9"},
		{"delete dir plainly", "DELETE", "/v2/keys/d", "", nil, 403,
			`{"errorCode":102,"message":"Not a file","cause":"/d","index":9}` + "\n", "9"},
		{"delete non-empty dir", "DELETE", "/v2/keys/d?dir=true", "", nil, 403,
			`{"errorCode":108,"message":"Directory not empty","cause":"/d","index":9}` + "\n", "9"},
		{"cad dir", "DELETE", "/v2/keys/d?prevIndex=9&recursive=true", "", nil, 403,
			`{"errorCode":102,"message":"Not a file","cause":"/d","index":9}` + "\n", "9"},
		{"path through a file", "GET", "/v2/keys/d/x/sub", "", nil, 400,
			`{"errorCode":104,"message":"Not a directory","cause":"/d/x","index":9}` + "\n", "9"},
		{"head missing", "HEAD", "/v2/keys/nope", "", nil, 404, "", "9"},
		{"delete recursive", "DELETE", "/v2/keys/d?recursive=true", "", nil, 200,
			`{"action":"delete","node":{"key":"/d","dir":true,"modifiedIndex":10,"createdIndex":9},"prevNode":{"key":"/d","dir":true,"modifiedIndex":9,"createdIndex":9}}` + "\n", "10"},
		{"set with ttl", "PUT", "/v2/keys/t?value=v&ttl=10", "", nil, 201,
			`{"action":"set","node":{"key":"/t","value":"v","expiration":"2026-11-22T09:30:10Z","ttl":10,"modifiedIndex":11,"createdIndex":11}}` + "\n", "11"},
		{"refresh set", "PUT", "/v2/keys/t?refresh=true&ttl=20", "", nil, 200,
			`{"action":"set","node":{"key":"/t","value":"v","expiration":"2026-11-22T09:30:20Z","ttl":20,"modifiedIndex":12,"createdIndex":12},"prevNode":{"key":"/t","value":"v","expiration":"2026-11-22T09:30:10Z","ttl":10,"modifiedIndex":11,"createdIndex":11}}` + "\n", "12"},
		{"noValueOnSuccess set", "PUT", "/v2/keys/n?value=v&noValueOnSuccess=true", "", nil, 201,
			`{"action":"set"}` + "\n", "13"},
		{"noValueOnSuccess delete", "DELETE", "/v2/keys/n?noValueOnSuccess=true", "", nil, 200,
			`{"action":"delete","node":{"key":"/n","modifiedIndex":14,"createdIndex":13},"prevNode":{"key":"/n","value":"v","modifiedIndex":13,"createdIndex":13}}` + "\n", "14"},
		{"sorted recursive listing", "GET", "/v2/keys/?recursive=true&sorted=true", "", nil, 200,
			`{"action":"get","node":{"dir":true,"nodes":[{"key":"/q","dir":true,"nodes":[{"key":"/q/00000000000000000006","value":"job","modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6},{"key":"/t","value":"v","expiration":"2026-11-22T09:30:20Z","ttl":20,"modifiedIndex":12,"createdIndex":12}]}}` + "\n", "14"},
		{"json body stores empty value", "PUT", "/v2/keys/j", `{"value":"j"}`, []string{"Content-Type: application/json"}, 201,
			`{"action":"set","node":{"key":"/j","value":"","modifiedIndex":15,"createdIndex":15}}` + "\n", "15"},
		{"go escaping", "PUT", "/v2/keys/k?value=%3C%3E%26%C3%A9", "", nil, 201,
			`{"action":"set","node":{"key":"/k","value":"\u003c\u003e\u0026é","modifiedIndex":16,"createdIndex":16}}` + "\n", "16"},
		{"noValueOnSuccess create", "POST", "/v2/keys/q?value=x&noValueOnSuccess=true", "", nil, 201,
			`{"action":"create"}` + "\n", "17"},
		{"parse error", "GET", "/v2/keys/k?recursive=x", "", nil, 400,
			`{"errorCode":209,"message":"Invalid field","cause":"invalid value for \"recursive\"","index":0}` + "\n", "0"},
		{"form error", "GET", "/v2/keys/k?a=%zz", "", nil, 400,
			`{"errorCode":210,"message":"Invalid POST form","cause":"invalid URL escape \"%zz\"","index":0}` + "\n", "0"},
		{"refresh missing key", "PUT", "/v2/keys/gone?refresh=true&ttl=5", "", nil, 404,
			`{"errorCode":100,"message":"Key not found","cause":"/gone","index":17}` + "\n", "17"},
		{"watch replays history", "GET", "/v2/keys/k?wait=true&waitIndex=1", "", nil, 200,
			`{"action":"set","node":{"key":"/k","value":"\u003c\u003e\u0026é","modifiedIndex":16,"createdIndex":16}}` + "\n", "17"},
	}
	runKeySteps(t, ta, steps)
}

// TestKeysRaftHeaders checks that X-Raft-Index is the server's committed index at
// response time and that a quorum read goes through the server.
func TestKeysRaftHeaders(t *testing.T) {
	ta := newTestAPI(t)
	res := ta.do(t, "PUT", "/v2/keys/a?value=1", "")
	if got := res.header.Get("X-Raft-Index"); got != "5" {
		t.Errorf("PUT X-Raft-Index = %q, want 5 (one proposal after 4)", got)
	}
	res = ta.do(t, "GET", "/v2/keys/a?quorum=true", "")
	if got := res.header.Get("X-Raft-Index"); got != "6" {
		t.Errorf("quorum GET X-Raft-Index = %q, want 6", got)
	}
	ta.do(t, "GET", "/v2/keys/a", "")
	if ta.srv.reads != 1 {
		t.Errorf("LinearizableRead calls = %d, want 1 (quorum GET only)", ta.srv.reads)
	}
	if got := len(ta.srv.cmds); got != 1 {
		t.Errorf("proposals = %d, want 1 (reads are local)", got)
	}
}

// TestKeysReplicationErrors covers the 300 answers: failures of the replicated path carry
// the raft side's text, index 0, HTTP 500, no raft headers.
func TestKeysReplicationErrors(t *testing.T) {
	timeout := `{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}` + "\n"
	tests := []struct {
		name   string
		knob   func(f *fakeServer)
		method string
		target string
		want   string
	}{
		{"write fails", func(f *fakeServer) { f.doErr = errors.New("etcdserver: server stopped") }, "PUT", "/v2/keys/a?value=1",
			`{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: server stopped","index":0}` + "\n"},
		{"write times out", func(f *fakeServer) { f.blockDo = true }, "DELETE", "/v2/keys/a", timeout},
		{"quorum read times out", func(f *fakeServer) { f.blockRead = true }, "GET", "/v2/keys/a?quorum=true", timeout},
		{"quorum read fails", func(f *fakeServer) { f.readErr = errFakeTimeout }, "GET", "/v2/keys/?quorum=true", timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestAPI(t, func(c *Config) { c.RequestTimeout = 50 * time.Millisecond })
			ta.srv.set(tt.knob)
			res := ta.do(t, tt.method, tt.target, "")
			if res.status != 500 || res.body != tt.want {
				t.Fatalf("%s %s = %d %q, want 500 %q", tt.method, tt.target, res.status, res.body, tt.want)
			}
			checkKeyHeaders(t, tt.name, res, "0")
		})
	}
}

func TestKeysMethodNotAllowed(t *testing.T) {
	ta := newTestAPI(t)
	for _, m := range []string{"PATCH", "TRACE", "FOO"} {
		res := ta.do(t, m, "/v2/keys/a", "")
		if res.status != 405 || res.body != "Method Not Allowed\n" || res.header.Get("Allow") != "HEAD,GET,PUT,POST,DELETE" {
			t.Errorf("%s /v2/keys/a = %d %q Allow %q, want 405 with the keys Allow list", m, res.status, res.body, res.header.Get("Allow"))
		}
		if res.header.Get("X-Etcd-Cluster-Id") != "" {
			t.Errorf("%s /v2/keys/a has X-Etcd-Cluster-Id; the reference checks the method first", m)
		}
	}
}

func TestKeysBodyTooLarge(t *testing.T) {
	ta := newTestAPI(t, func(c *Config) { c.MaxRequestBytes = 64 })
	want := `{"errorCode":210,"message":"Invalid POST form","cause":"http: request body too large","index":0}` + "\n"
	res := ta.do(t, "PUT", "/v2/keys/a", "value="+strings.Repeat("x", 100))
	if res.status != 413 || res.body != want {
		t.Fatalf("PUT with a 106-byte body = %d %q, want 413 %q", res.status, res.body, want)
	}
	checkKeyHeaders(t, "too large", res, "0")
	if len(ta.srv.cmds) != 0 {
		t.Errorf("a refused body reached the server: %v", ta.srv.cmds)
	}
	// A body of exactly the limit is fine; a JSON body is not read at all.
	res = ta.do(t, "PUT", "/v2/keys/a", "value="+strings.Repeat("x", 58))
	if res.status != 201 {
		t.Errorf("PUT with a 64-byte body = %d, want 201", res.status)
	}
	res = ta.do(t, "PUT", "/v2/keys/j", strings.Repeat("x", 100), "Content-Type: application/json")
	if res.status != 201 {
		t.Errorf("PUT with a large ignored JSON body = %d, want 201", res.status)
	}
}

// TestKeysTTLFromClock checks that the TTL becomes an absolute time from the API's clock.
func TestKeysTTLFromClock(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "PUT", "/v2/keys/a?value=1&ttl=30", "")
	got := ta.srv.lastCommand().Expiration
	if want := testNow.Add(30 * time.Second).UnixNano(); got != want {
		t.Errorf("Expiration = %d, want %d", got, want)
	}
	ta.do(t, "PUT", "/v2/keys/a?value=1&ttl=99999999999", "")
	ev, err := ta.srv.st.Get("/1/a", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Node.Expiration != 0 {
		t.Errorf("ttl=99999999999 made expiration %d, want a permanent key (SPEC §2.8)", ev.Node.Expiration)
	}
	res := ta.do(t, "PUT", "/v2/keys/b?value=1&ttl=18446744073709551615", "")
	if !strings.Contains(res.body, `"ttl":-1,`) {
		t.Errorf("ttl=2^64-1 body %q, want an expired key showing ttl -1", res.body)
	}
}

// TestKeysRecordedCommands checks the commands that reach the server for the §2.3 rows that
// need them (the body only shows the outcome).
func TestKeysRecordedCommands(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "POST", "/v2/keys/q", "value=j&dir=true&ttl=5")
	got := ta.srv.lastCommand()
	want := store.Command{Op: store.OpCreate, Key: "/1/q", Unique: true, Dir: true, Expiration: testNow.Add(5 * time.Second).UnixNano()}
	if got != want {
		t.Errorf("POST dir command = %+v, want %+v", got, want)
	}
	res := ta.do(t, "PUT", "/v2/keys/"+strings.Repeat("deep/", 3)+"k?value=v", "")
	if res.status != 201 {
		t.Errorf("PUT deep = %d, want 201", res.status)
	}
	if got := ta.srv.lastCommand().Key; got != "/1/deep/deep/deep/k" {
		t.Errorf("deep key = %q, want /1/deep/deep/deep/k", got)
	}
	if got := len(ta.srv.cmds); got != 2 {
		t.Errorf("commands = %d, want 2", got)
	}
}
