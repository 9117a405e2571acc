package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/etcd2/etcd2/auth"
)

// newAuthAPI starts the API with auth over the fake's store (bcrypt at its minimum cost);
// logs also go to the returned buffer.
func newAuthAPI(t testing.TB, opts ...func(*Config)) (*testAPI, *syncBuffer) {
	t.Helper()
	f := newFakeServer()
	logs := &syncBuffer{}
	var w io.Writer = logs
	if tt, ok := t.(*testing.T); ok { // a fuzz target may not log through its *testing.F
		w = zerolog.MultiLevelWriter(zerolog.NewTestWriter(tt), logs)
	}
	lg := zerolog.New(w).Level(zerolog.DebugLevel)
	st, err := auth.New(auth.Config{Proposer: f, Reader: f.st, Logger: lg, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]func(*Config){func(c *Config) { c.Auth, c.Logger = st, lg }}, opts...)
	return newTestAPIOn(t, f, opts...), logs
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// basic is an Authorization header for do.
func basic(userPass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

// authStep is one request of a scenario and the reference's answer to it (recorded from
// etcd 3.4.23 with curl).
type authStep struct {
	method, target, body string
	user                 string // "name:password" for HTTP Basic, "" for none
	wantStatus           int
	wantBody             string
	// wantClusterID: X-Etcd-Cluster-Id present (the reference sets it only once the
	// request is admitted).
	wantClusterID bool
}

func runAuthSteps(t *testing.T, ta *testAPI, steps []authStep) {
	t.Helper()
	for i, s := range steps {
		var hdr []string
		if s.user != "" {
			hdr = append(hdr, basic(s.user))
		}
		if s.body != "" && strings.HasPrefix(s.body, "{") {
			hdr = append(hdr, "Content-Type: application/json")
		}
		res := ta.do(t, s.method, s.target, s.body, hdr...)
		if res.status != s.wantStatus || res.body != s.wantBody {
			t.Errorf("step %d: %s %s %s (user %q) = %d %q, want %d %q", i, s.method, s.target, s.body, s.user,
				res.status, res.body, s.wantStatus, s.wantBody)
		}
		if got := res.header.Get(hdrClusterID) != ""; got != s.wantClusterID {
			t.Errorf("step %d: %s %s: X-Etcd-Cluster-Id present = %v, want %v", i, s.method, s.target, got, s.wantClusterID)
		}
		if res.header.Get("Www-Authenticate") != "" {
			t.Errorf("step %d: WWW-Authenticate sent", i)
		}
	}
}

// TestAuthAPI replays the reference's answers to the user and role lifecycle while auth
// is disabled.
func TestAuthAPI(t *testing.T) {
	ta, _ := newAuthAPI(t)
	const appRole = `{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":["/app/w"]}}}`
	const rootRole = `{"role":"root","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}`
	runAuthSteps(t, ta, []authStep{
		{"GET", "/v2/auth/enable", "", "", 200, "{\"enabled\":false}\n", true},
		{"PUT", "/v2/auth/enable", "", "", 409, `{"message":"auth: No root user available, please create one"}`, true},
		{"DELETE", "/v2/auth/enable", "", "", 409, `{"message":"auth: already disabled"}`, true},
		{"GET", "/v2/auth/users", "", "", 200, "{\"users\":null}\n", true},
		{"GET", "/v2/auth/roles", "", "", 200, `{"roles":[` + rootRole + "]}\n", true},
		{"GET", "/v2/auth/users/root", "", "", 404, `{"message":"auth: User root does not exist."}`, true},
		{"GET", "/v2/auth/roles/root", "", "", 200, rootRole + "\n", true},
		{"GET", "/v2/auth/roles/guest", "", "", 404, `{"message":"auth: Role guest does not exist."}`, true},
		{"PUT", "/v2/auth/users/alice", `{"user":"alice","password":"pw"}`, "", 201, "{\"user\":\"alice\",\"roles\":null}\n", true},
		{"PUT", "/v2/auth/users/alice", `{"user":"alice","password":"pw"}`, "", 200, "{\"user\":\"alice\",\"roles\":[]}\n", true},
		{"PUT", "/v2/auth/users/alice", `{"user":"alice"}`, "", 400, `{"message":"auth: User not updated. Use grant/revoke/password to update the user."}`, true},
		{"PUT", "/v2/auth/users/bob", `{"user":"bob"}`, "", 400, `{"message":"auth: Cannot create user bob with an empty password"}`, true},
		{"PUT", "/v2/auth/users/bob", `{"user":"bobx","password":"x"}`, "", 400, `{"message":"User JSON name does not match the name in the URL"}`, true},
		{"PUT", "/v2/auth/users/bob", `xx`, "", 400, `{"message":"Invalid JSON in request body."}`, true},
		{"GET", "/v2/auth/users", "", "", 200, "{\"users\":[{\"user\":\"alice\"}]}\n", true},
		{"GET", "/v2/auth/users/alice", "", "", 200, "{\"user\":\"alice\"}\n", true},

		{"PUT", "/v2/auth/roles/app", `{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":[]}}}`, "", 201, `{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":[]}}}` + "\n", true},
		{"PUT", "/v2/auth/roles/app", `{"role":"app","permissions":{"kv":{"read":["/app/*"]}}}`, "", 409, `{"message":"auth: Role app already exists."}`, true},
		{"PUT", "/v2/auth/roles/r2", `{"role":"r2"}`, "", 201, `{"role":"r2","permissions":{"kv":{"read":null,"write":null}}}` + "\n", true},
		{"PUT", "/v2/auth/roles/r3", `{"role":"r3","permissions":{"kv":{"read":["/b","/a"]}}}`, "", 201, `{"role":"r3","permissions":{"kv":{"read":["/b","/a"],"write":null}}}` + "\n", true},
		{"PUT", "/v2/auth/roles/r4", `{"role":"r4","grant":{"kv":{"read":[],"write":[]}}}`, "", 201, `{"role":"r4","permissions":{"kv":{"read":null,"write":null}},"grant":{"kv":{"read":[],"write":[]}}}` + "\n", true},
		{"PUT", "/v2/auth/roles/root", `{"role":"root"}`, "", 403, `{"message":"auth: Cannot modify role root: is root role."}`, true},
		{"PUT", "/v2/auth/roles/app", `{"role":"app","grant":{"kv":{"write":["/app/w"]}}}`, "", 200, appRole + "\n", true},
		{"PUT", "/v2/auth/roles/app", `{"role":"app","grant":{"kv":{"write":["/app/w"]}}}`, "", 409, `{"message":"auth: Granting duplicate write permission /app/w"}`, true},
		{"PUT", "/v2/auth/roles/app", `{"role":"app","revoke":{"kv":{"write":["/nope"]}}}`, "", 400, `{"message":"auth: Role not updated. Use grant/revoke to update the role."}`, true},
		{"PUT", "/v2/auth/roles/app", `{"role":"app","permissions":{"kv":{"read":["/x"]}},"revoke":{"kv":{"write":["/nope"]}}}`, "", 400, `{"message":"Role JSON contains both permissions and grant/revoke"}`, true},
		{"PUT", "/v2/auth/roles/nox", `{"role":"nox","revoke":{"kv":{"write":["/nope"]}}}`, "", 404, `{"message":"auth: Role nox does not exist."}`, true},
		{"PUT", "/v2/auth/roles/root", `{"role":"root","revoke":{"kv":{"write":["/nope"]}}}`, "", 403, `{"message":"auth: Cannot modify role root: is root role."}`, true},
		{"PUT", "/v2/auth/roles/app", `{"role":"appx"}`, "", 400, `{"message":"Role JSON name does not match the name in the URL"}`, true},
		{"PUT", "/v2/auth/roles/app", `{`, "", 400, `{"message":"Invalid JSON in request body."}`, true},
		{"GET", "/v2/auth/roles", "", "", 200, `{"roles":[` + appRole + `,{"role":"r2","permissions":{"kv":{"read":null,"write":null}}},{"role":"r3","permissions":{"kv":{"read":["/b","/a"],"write":null}}},{"role":"r4","permissions":{"kv":{"read":null,"write":null}},"grant":{"kv":{"read":[],"write":[]}}},` + rootRole + "]}\n", true},
		{"GET", "/v2/auth/roles/nox", "", "", 404, `{"message":"auth: Role nox does not exist."}`, true},
		{"DELETE", "/v2/auth/roles/nox", "", "", 404, `{"message":"auth: Role nox doesn't exist."}`, true},
		{"DELETE", "/v2/auth/roles/root", "", "", 403, `{"message":"auth: Cannot modify role root: is root role."}`, true},
		{"DELETE", "/v2/auth/roles/r2", "", "", 200, "", true},
		{"PUT", "/v2/auth/roles/r2", `{"role":"r2","revoke":{"kv":{"write":["/nope"]}}}`, "", 404, `{"message":"auth: Role r2 does not exist."}`, true},
		{"PUT", "/v2/auth/roles/r3", `{"role":"r3","revoke":{"kv":{"write":["/nope"]}}}`, "", 200, `{"role":"r3","permissions":{"kv":{"read":["/a","/b"],"write":[]}}}` + "\n", true},

		{"PUT", "/v2/auth/users/carol", `{"user":"carol","password":"c","roles":["zz","app","app"]}`, "", 200, "{\"user\":\"carol\",\"roles\":[\"zz\",\"app\",\"app\"]}\n", true},
		{"PUT", "/v2/auth/users/carol", `{"user":"carol","password":"c","roles":["zz"]}`, "", 409, `{"message":"auth: User carol already exists."}`, true},
		{"GET", "/v2/auth/users/carol", "", "", 404, `{"message":"auth: Role zz does not exist."}`, true},
		{"GET", "/v2/auth/users", "", "", 200, `{"users":[{"user":"alice"},{"user":"carol","roles":[` + appRole + "," + appRole + "]}]}\n", true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","password":"d"}`, "", 201, "{\"user\":\"dave\",\"roles\":null}\n", true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave"}`, "", 200, "{\"user\":\"dave\",\"roles\":[]}\n", true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","grant":["app"],"roles":["x"]}`, "", 400, `{"message":"User JSON contains both roles and grant/revoke"}`, true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","grant":["app","nosuch"]}`, "", 200, "{\"user\":\"dave\",\"roles\":[\"app\",\"nosuch\"]}\n", true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","grant":["app"]}`, "", 409, `{"message":"auth: Granting duplicate role app for user dave"}`, true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","revoke":["r3"]}`, "", 409, `{"message":"auth: Revoking ungranted role r3 for user dave"}`, true},
		{"PUT", "/v2/auth/users/nobody", `{"user":"nobody","revoke":["r3"]}`, "", 404, `{"message":"auth: User nobody does not exist."}`, true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","revoke":["nosuch"],"password":"new"}`, "", 200, "{\"user\":\"dave\",\"roles\":[\"app\"]}\n", true},
		{"GET", "/v2/auth/users/dave", "", "", 200, `{"user":"dave","roles":[` + appRole + "]}\n", true},
		{"DELETE", "/v2/auth/users/nobody", "", "", 404, `{"message":"auth: User nobody does not exist"}`, true},
		{"PUT", "/v2/auth/users/root", `{"user":"root","password":"rootpw"}`, "", 201, "{\"user\":\"root\",\"roles\":[\"root\"]}\n", true},
		{"GET", "/v2/auth/users/root", "", "", 200, `{"user":"root","roles":[` + rootRole + "]}\n", true},
		{"DELETE", "/v2/auth/users/alice", "", "", 200, "", true},
	})
}

// TestAuthPaths: the reference's routing of /v2/auth, checked before methods and access.
func TestAuthPaths(t *testing.T) {
	ta, _ := newAuthAPI(t)
	runAuthSteps(t, ta, []authStep{
		{"PATCH", "/v2/auth/enable", "", "", 405, "Method Not Allowed\n", false},
		{"HEAD", "/v2/auth/enable", "", "", 405, "", false},
		{"POST", "/v2/auth/users/x", "", "", 405, "Method Not Allowed\n", false},
		{"PUT", "/v2/auth/users/", `{"user":""}`, "", 405, "Method Not Allowed\n", false},
		{"PATCH", "/v2/auth/roles", "", "", 405, "Method Not Allowed\n", false},
		{"GET", "/v2/auth/users/a/b", "", "", 400, `{"message":"Invalid path"}`, false},
		{"PATCH", "/v2/auth/users/a/b", "", "", 400, `{"message":"Invalid path"}`, false},
		{"GET", "/v2/auth/roles/a/b", "", "", 400, `{"message":"Invalid path"}`, false},
		{"GET", "/v2/auth/", "", "", 404, "404 page not found\n", false},
		{"GET", "/v2/auth", "", "", 404, "404 page not found\n", false},
		{"GET", "/v2/auth/enable/x", "", "", 404, "404 page not found\n", false},
		{"GET", "/v2/auth/users/", "", "", 200, "{\"users\":null}\n", true},
		{"GET", "/v2/auth/users/x/", "", "", 404, `{"message":"auth: User x does not exist."}`, true},
		{"GET", "/v2/auth/roles/", "", "", 200, `{"roles":[{"role":"root","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}]}` + "\n", true},
	})
	for _, tt := range []struct{ target, allow string }{
		{"/v2/auth/enable", "GET,PUT,DELETE"}, {"/v2/auth/users", "GET"}, {"/v2/auth/users/x", "GET,PUT,DELETE"},
		{"/v2/auth/roles", "GET"}, {"/v2/auth/roles/x", "GET,PUT,DELETE"},
	} {
		if got := ta.do(t, "POST", tt.target, "").header.Get("Allow"); got != tt.allow {
			t.Errorf("POST %s Allow = %q, want %q", tt.target, got, tt.allow)
		}
	}
}

// enableAuth creates root, a role app (read /app/*, write /app/w) and user dave holding
// it, then enables auth.
func enableAuth(t *testing.T, ta *testAPI) {
	t.Helper()
	runAuthSteps(t, ta, []authStep{
		{"PUT", "/v2/auth/users/root", `{"user":"root","password":"rootpw"}`, "", 201, "{\"user\":\"root\",\"roles\":[\"root\"]}\n", true},
		{"PUT", "/v2/auth/roles/app", `{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":["/app/w"]}}}`, "", 201, `{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":["/app/w"]}}}` + "\n", true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","password":"new","roles":["app"]}`, "", 200, "{\"user\":\"dave\",\"roles\":[\"app\"]}\n", true},
		{"PUT", "/v2/keys/app/x", "value=1", "", 201, `{"action":"set","node":{"key":"/app/x","value":"1","modifiedIndex":8,"createdIndex":8}}` + "\n", true},
		{"PUT", "/v2/auth/enable", "", "", 200, "", true},
		{"GET", "/v2/auth/enable", "", "", 200, "{\"enabled\":true}\n", true},
	})
}

const noKeyAuth = `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}` + "\n"

// TestAuthEnforcement replays the reference's answers once auth is enabled: keys, members
// and the auth API itself.
func TestAuthEnforcement(t *testing.T) {
	ta, _ := newAuthAPI(t)
	enableAuth(t, ta)
	const R = "root:rootpw"
	x := `{"action":"get","node":{"key":"/app/x","value":"1","modifiedIndex":8,"createdIndex":8}}` + "\n"
	runAuthSteps(t, ta, []authStep{
		{"PUT", "/v2/auth/enable", "", "", 401, `{"message":"Insufficient credentials"}`, false},
		{"PUT", "/v2/auth/enable", "", R, 409, `{"message":"auth: already enabled"}`, true},
		{"GET", "/v2/auth/roles/guest", "", R, 200, `{"role":"guest","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}` + "\n", true},
		// The default guest role reads and writes everything.
		{"GET", "/v2/keys/app/x", "", "", 200, x, true},
		{"GET", "/v2/keys/app/x", "", "dave:new", 200, x, true},
		{"GET", "/v2/keys/app/x", "", "dave:bad", 401, noKeyAuth, true},
		{"GET", "/v2/keys/app/x", "", "nouser:bad", 401, noKeyAuth, true},
		{"PUT", "/v2/keys/app/x?value=2", "", "dave:new", 401, noKeyAuth, true},
		{"GET", "/v2/auth/users", "", "", 401, `{"message":"Insufficient credentials"}`, false},
		{"GET", "/v2/auth/users", "", "dave:new", 401, `{"message":"Insufficient credentials"}`, false},
		{"GET", "/v2/auth/enable", "", "dave:bad", 200, "{\"enabled\":true}\n", true},
		{"DELETE", "/v2/auth/enable", "", "dave:new", 401, `{"message":"Insufficient credentials"}`, false},
		{"POST", "/v2/members", `{"peerURLs":["http://127.0.0.1:1"]}`, "", 401, `{"message":"Insufficient credentials"}`, false},
		{"DELETE", "/v2/members/1234", "", "", 401, `{"message":"Insufficient credentials"}`, false},
		{"PUT", "/v2/members/1234", "", "dave:new", 401, `{"message":"Insufficient credentials"}`, false},
		{"PATCH", "/v2/members/1234", "", "", 405, "Method Not Allowed\n", false},
		{"PATCH", "/v2/keys/a", "", "", 405, "Method Not Allowed\n", false},

		// Guests lose everything.
		{"PUT", "/v2/auth/roles/guest", `{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}`, R, 200, `{"role":"guest","permissions":{"kv":{"read":[],"write":[]}}}` + "\n", true},
		{"GET", "/v2/keys/app/x", "", "", 401, noKeyAuth, true},
		{"GET", "/v2/keys", "", "", 401, noKeyAuth, true},
		{"GET", "/v2/keys/", "", R, 200, `{"action":"get","node":{"dir":true,"nodes":[{"key":"/app","dir":true,"modifiedIndex":8,"createdIndex":8}]}}` + "\n", true},
		{"GET", "/v2/keys/app", "", "dave:new", 401, noKeyAuth, true},
		{"GET", "/v2/keys/app?recursive=true", "", "dave:new", 401, noKeyAuth, true},
		{"GET", "/v2/keys/app/?recursive=true", "", "dave:new", 200, `{"action":"get","node":{"key":"/app","dir":true,"nodes":[{"key":"/app/x","value":"1","modifiedIndex":8,"createdIndex":8}],"modifiedIndex":8,"createdIndex":8}}` + "\n", true},
		{"GET", "/v2/keys/app/x?recursive=true", "", "dave:new", 200, x, true},
		{"GET", "/v2/keys/app/w", "", "dave:new", 404, `{"errorCode":100,"message":"Key not found","cause":"/app/w","index":11}` + "\n", true},
		{"PUT", "/v2/keys/app/w?value=1", "", "dave:new", 201, `{"action":"set","node":{"key":"/app/w","value":"1","modifiedIndex":12,"createdIndex":12}}` + "\n", true},
		{"DELETE", "/v2/keys/app/w?recursive=true", "", "dave:new", 401, noKeyAuth, true},
		// Parameters are checked before credentials.
		{"PUT", "/v2/keys/app/x?ttl=abc", "", "dave:bad", 400, `{"errorCode":202,"message":"The given TTL in POST form is not a number","cause":"invalid value for \"ttl\"","index":0}` + "\n", true},
		{"POST", "/v2/keys/app/w?value=1", "", "dave:new", 400, `{"errorCode":104,"message":"Not a directory","cause":"/app/w","index":12}` + "\n", true},
		{"DELETE", "/v2/auth/users/root", "", R, 403, `{"message":"auth: Cannot delete root user while auth is enabled."}`, true},
		// A user granted the root role administers too.
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","grant":["root"]}`, R, 200, "{\"user\":\"dave\",\"roles\":[\"app\",\"root\"]}\n", true},
		{"PUT", "/v2/auth/users/dave", `{"user":"dave","revoke":["root"]}`, "dave:new", 200, "{\"user\":\"dave\",\"roles\":[\"app\"]}\n", true},
		{"DELETE", "/v2/auth/roles/guest", "", R, 200, "", true},
		{"GET", "/v2/keys/app/x", "", "", 401, noKeyAuth, true},
		{"DELETE", "/v2/auth/enable", "", R, 200, "", true},
		{"DELETE", "/v2/auth/enable", "", R, 409, `{"message":"auth: already disabled"}`, true},
		// Disabled: credentials are not even looked at.
		{"GET", "/v2/keys/app/x", "", "dave:bad", 200, x, true},
		{"GET", "/v2/auth/users", "", "dave:bad", 200, `{"users":[{"user":"dave","roles":[{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":["/app/w"]}}}]},{"user":"root","roles":[{"role":"root","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}]}]}` + "\n", true},
	})
	res := ta.do(t, "GET", "/v2/keys/app/x", "", basic("dave:bad"))
	if got := res.header.Get(hdrEtcdIndex); got == "" {
		t.Errorf("401 keys answer has no X-Etcd-Index")
	}
}

// TestAuthKeysHeaders pins the headers of the keys refusal: the error shape's, with index 0.
func TestAuthKeysHeaders(t *testing.T) {
	ta, _ := newAuthAPI(t)
	enableAuth(t, ta)
	res := ta.do(t, "GET", "/v2/keys/app/x", "", basic("dave:bad"))
	want := map[string]string{hdrContentType: contentJSON, hdrEtcdIndex: "0", hdrClusterID: "d5ed76a1906424f1",
		hdrRaftIndex: "", hdrRaftTerm: "", "Www-Authenticate": ""}
	for k, v := range want {
		if got := res.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// TestAuthFailedLoginLogged: failed logins are logged with the user and reason, never the
// password.
func TestAuthFailedLoginLogged(t *testing.T) {
	ta, logs := newAuthAPI(t)
	enableAuth(t, ta)
	for _, creds := range []string{"dave:s3cr3t-wrong", "mallory:s3cr3t-other"} {
		if res := ta.do(t, "GET", "/v2/keys/app/x", "", basic(creds)); res.status != 401 {
			t.Fatalf("GET with %s = %d", creds, res.status)
		}
	}
	if res := ta.do(t, "GET", "/v2/keys/app/x", "", "Authorization: Bearer xyz"); res.status != 401 {
		t.Fatalf("GET with a bearer token = %d", res.status)
	}
	out := logs.String()
	for _, want := range []string{`"user":"dave"`, `"reason":"auth: wrong password"`, `"user":"mallory"`, `"reason":"auth: unknown user"`, "malformed basic auth credentials"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{"s3cr3t", "rootpw", "xyz"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows a secret %q:\n%s", secret, out)
		}
	}
}

// TestAuthUnavailable: a replication failure is the reference's opaque 500.
func TestAuthUnavailable(t *testing.T) {
	ta, _ := newAuthAPI(t)
	ta.srv.set(func(f *fakeServer) { f.doErr = errFakeTimeout })
	res := ta.do(t, "PUT", "/v2/auth/roles/r", `{"role":"r"}`)
	if res.status != 500 || res.body != `{"message":"Internal Server Error"}` {
		t.Errorf("PUT role while raft fails = %d %q", res.status, res.body)
	}
}

// TestAuthMalformedQuery: a listing with a malformed query is the client's mistake: 400
// with the reason, where the reference answers 500 Internal Server Error [OURS].
func TestAuthMalformedQuery(t *testing.T) {
	ta, _ := newAuthAPI(t)
	for _, target := range []string{"/v2/auth/users?%zz", "/v2/auth/roles?a=%z"} {
		res := ta.do(t, "GET", target, "")
		if res.status != 400 || !strings.HasPrefix(res.body, `{"message":"Invalid query: invalid URL escape`) {
			t.Errorf("GET %s = %d %q, want 400 Invalid query", target, res.status, res.body)
		}
	}
}

// TestNoAuthConfigured: without an auth store /v2/auth is not served and nothing is guarded.
func TestNoAuthConfigured(t *testing.T) {
	ta := newTestAPI(t)
	if res := ta.do(t, "GET", "/v2/auth/enable", ""); res.status != 404 {
		t.Errorf("GET /v2/auth/enable without auth = %d", res.status)
	}
	if res := ta.do(t, "PUT", "/v2/keys/a", "value=1", basic("x:y")); res.status != 201 {
		t.Errorf("PUT key without auth = %d", res.status)
	}
}

// FuzzAuthPut sends arbitrary bodies to PUT /v2/auth/users/u and /v2/auth/roles/r: every
// answer is one of the API's statuses with a JSON body, never a panic or a 500.
func FuzzAuthPut(f *testing.F) {
	ta, _ := newAuthAPI(f)
	for _, seed := range []string{
		`{"user":"u","password":"p"}`, `{"user":"u","password":"p","roles":["a","a"]}`,
		`{"user":"u","grant":["a"],"revoke":["a"]}`, `{"user":"u","revoke":["x"]}`, `{"user":"v"}`,
		`{"role":"r","permissions":{"kv":{"read":["/a/*"],"write":[""]}}}`, `{"role":"r","grant":{"kv":{"read":["*"]}}}`,
		`{"role":"r","revoke":{"kv":{"write":["/x"]}},"permissions":{"kv":{}}}`, `{"role":"root"}`,
		`{"user":"u","password":"` + strings.Repeat("x", 100) + `"}`, `null`, `[]`, `{"user":7}`, "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range []string{"/v2/auth/users/u", "/v2/auth/roles/r"} {
			req := httptest.NewRequest(http.MethodPut, target, strings.NewReader(body))
			rec := httptest.NewRecorder()
			ta.handler.ServeHTTP(rec, req)
			switch rec.Code {
			case 200, 201, 400, 403, 404, 409:
			default:
				t.Fatalf("PUT %s %q = %d %s", target, body, rec.Code, rec.Body)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("PUT %s %q = %d with a body that is not JSON: %q", target, body, rec.Code, rec.Body)
			}
		}
		// Whatever was stored reads back.
		for _, target := range []string{"/v2/auth/users", "/v2/auth/roles"} {
			rec := httptest.NewRecorder()
			ta.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			if rec.Code != 200 && rec.Code != 404 {
				t.Fatalf("GET %s after %q = %d %s", target, body, rec.Code, rec.Body)
			}
		}
	})
}
