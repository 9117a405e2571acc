package httpapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/etcd2/etcd2/members"
)

const jsonCT = "Content-Type: application/json"

func TestMembers(t *testing.T) {
	n1 := `{"id":"336addd95eef9faf","name":"n1","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}`
	n0 := `{"id":"11","name":"n0","peerURLs":["http://127.0.0.1:2480"],"clientURLs":[]}`
	tests := []struct {
		name     string
		knob     func(f *fakeServer)
		method   string
		target   string
		body     string
		hdr      []string
		wantCode int
		wantBody string
	}{
		{"list sorted by ID", func(f *fakeServer) {
			f.members = append(f.members, members.Member{ID: 0x11, Name: "n0", PeerURLs: []string{"http://127.0.0.1:2480"}})
		}, "GET", "/v2/members", "", nil, 200, `{"members":[` + n0 + `,` + n1 + `]}` + "\n"},
		{"list with slash", nil, "GET", "/v2/members/", "", nil, 200, `{"members":[` + n1 + `]}` + "\n"},
		{"leader", nil, "GET", "/v2/members/leader", "", nil, 200, n1 + "\n"},
		{"no leader", func(f *fakeServer) { f.leader = 0 }, "GET", "/v2/members/leader", "", nil, 503, `{"message":"During election"}`},
		{"other path", nil, "GET", "/v2/members/leader/x", "", nil, 404, `{"message":"Not found"}`},
		{"other id", nil, "GET", "/v2/members/336addd95eef9faf", "", nil, 404, `{"message":"Not found"}`},
		{"add", nil, "POST", "/v2/members", `{"peerURLs":["http://127.0.0.1:2381"],"name":"ignored"}`, []string{jsonCT}, 201,
			`{"id":"abc","name":"","peerURLs":["http://127.0.0.1:2381"],"clientURLs":[]}` + "\n"},
		{"add via any path", nil, "POST", "/v2/members/whatever", `{"PeerURLS":[" http://b:1 ","http://a:1"]}`, []string{"Content-Type: application/json; charset=utf-8"}, 201,
			`{"id":"abc","name":"","peerURLs":["http://a:1","http://b:1"],"clientURLs":[]}` + "\n"},
		{"add wrong content type", nil, "POST", "/v2/members", `{"peerURLs":["http://127.0.0.1:2381"]}`, []string{"Content-Type: application/x-www-form-urlencoded"}, 415,
			`{"message":"Bad Content-Type application/x-www-form-urlencoded, accept application/json"}`},
		{"add no content type", nil, "POST", "/v2/members", `{}`, []string{"Content-Type: "}, 415,
			`{"message":"Bad Content-Type , accept application/json"}`},
		{"add case kept without parameters", nil, "POST", "/v2/members", `{}`, []string{"Content-Type: Application/JSON"}, 415,
			`{"message":"Bad Content-Type Application/JSON, accept application/json"}`},
		{"add case folded with parameters", nil, "POST", "/v2/members", `garbage`, []string{"Content-Type: Application/JSON ; charset=x"}, 400,
			`{"message":"invalid character 'g' looking for beginning of value"}`},
		{"add no URLs", nil, "POST", "/v2/members", `{}`, []string{jsonCT}, 400, `{"message":"no valid URLs given"}`},
		{"add URL without scheme", nil, "POST", "/v2/members", `{"peerURLs":["127.0.0.1:47322"]}`, []string{jsonCT}, 400,
			`{"message":"parse \"127.0.0.1:47322\": first path segment in URL cannot contain colon"}`},
		{"add URL with path", nil, "POST", "/v2/members", `{"peerURLs":["http://127.0.0.1:47322/path"]}`, []string{jsonCT}, 400,
			`{"message":"URL must not contain a path: http://127.0.0.1:47322/path"}`},
		{"add URL bad scheme", nil, "POST", "/v2/members", `{"peerURLs":["ftp://h:1"]}`, []string{jsonCT}, 400,
			`{"message":"URL scheme must be http, https, unix, or unixs: ftp://h:1"}`},
		{"add URL without port", nil, "POST", "/v2/members", `{"peerURLs":["http://h"]}`, []string{jsonCT}, 400,
			`{"message":"URL address does not have the form \"host:port\": http://h"}`},
		{"add peer URL exists", func(f *fakeServer) { f.addErr = fmt.Errorf("raft: %w", members.ErrPeerURLExists) }, "POST", "/v2/members",
			`{"peerURLs":["http://127.0.0.1:2380"]}`, []string{jsonCT}, 409, `{"message":"membership: peerURL exists"}`},
		{"add ID exists", func(f *fakeServer) { f.addErr = members.ErrIDExists }, "POST", "/v2/members",
			`{"peerURLs":["http://127.0.0.1:2380"]}`, []string{jsonCT}, 409, `{"message":"membership: ID exists"}`},
		{"add refused", func(f *fakeServer) { f.addErr = errors.New("etcdserver: unhealthy cluster") }, "POST", "/v2/members",
			`{"peerURLs":["http://127.0.0.1:2381"]}`, []string{jsonCT}, 500, `{"message":"Internal Server Error"}`},
		{"remove", nil, "DELETE", "/v2/members/336addd95eef9faf", "", nil, 204, ""},
		{"remove without id", nil, "DELETE", "/v2/members", "", nil, 405, "Method Not Allowed\n"},
		{"remove bad id", nil, "DELETE", "/v2/members/zz", "", nil, 404, `{"message":"No such member: zz"}`},
		{"remove unknown", func(f *fakeServer) { f.removeErr = members.ErrIDNotFound }, "DELETE", "/v2/members/01234", "", nil, 404,
			`{"message":"No such member: 1234"}`},
		{"remove removed", func(f *fakeServer) { f.removeErr = members.ErrIDRemoved }, "DELETE", "/v2/members/1234", "", nil, 410,
			`{"message":"Member permanently removed: 1234"}`},
		{"remove loses quorum", func(f *fakeServer) { f.removeErr = errors.New("etcdserver: re-configuration failed") }, "DELETE", "/v2/members/1234", "", nil, 500,
			`{"message":"Internal Server Error"}`},
		{"update", nil, "PUT", "/v2/members/1234", `{"peerURLs":["http://127.0.0.1:2390"]}`, []string{jsonCT}, 204, ""},
		{"update without id", nil, "PUT", "/v2/members", `{}`, []string{jsonCT}, 405, "Method Not Allowed\n"},
		{"update bad id before body", nil, "PUT", "/v2/members/a/b", `garbage`, []string{jsonCT}, 404, `{"message":"No such member: a/b"}`},
		{"update no URLs", nil, "PUT", "/v2/members/1234", `{}`, []string{jsonCT}, 400, `{"message":"no valid URLs given"}`},
		{"update wrong content type", nil, "PUT", "/v2/members/1234", `{}`, []string{"Content-Type: text/plain"}, 415,
			`{"message":"Bad Content-Type text/plain, accept application/json"}`},
		{"update unknown", func(f *fakeServer) { f.updateErr = members.ErrIDNotFound }, "PUT", "/v2/members/1234",
			`{"peerURLs":["http://127.0.0.1:2390"]}`, []string{jsonCT}, 404, `{"message":"No such member: 1234"}`},
		{"update peer URL exists", func(f *fakeServer) { f.updateErr = members.ErrPeerURLExists }, "PUT", "/v2/members/1234",
			`{"peerURLs":["http://127.0.0.1:2390"]}`, []string{jsonCT}, 409, `{"message":"membership: peerURL exists"}`},
		{"update removed is internal", func(f *fakeServer) { f.updateErr = members.ErrIDRemoved }, "PUT", "/v2/members/1234",
			`{"peerURLs":["http://127.0.0.1:2390"]}`, []string{jsonCT}, 500, `{"message":"Internal Server Error"}`},
		{"method", nil, "PATCH", "/v2/members", "", nil, 405, "Method Not Allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestAPI(t)
			if tt.knob != nil {
				ta.srv.set(tt.knob)
			}
			res := ta.do(t, tt.method, tt.target, tt.body, tt.hdr...)
			if res.status != tt.wantCode || res.body != tt.wantBody {
				t.Fatalf("%s %s = %d %q, want %d %q", tt.method, tt.target, res.status, res.body, tt.wantCode, tt.wantBody)
			}
			ct := res.header.Get("Content-Type")
			switch {
			case res.status == 405:
				if ct != contentText {
					t.Errorf("Content-Type = %q, want %q", ct, contentText)
				}
			case res.status != 204 && ct != "application/json":
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			// The reference checks the method before setting the cluster ID.
			wantID := "d5ed76a1906424f1"
			if tt.method == "PATCH" {
				wantID = ""
			}
			if got := res.header.Get("X-Etcd-Cluster-Id"); got != wantID {
				t.Errorf("X-Etcd-Cluster-Id = %q, want %q", got, wantID)
			}
			if res.header.Get("X-Etcd-Index") != "" || res.header.Get("X-Raft-Index") != "" {
				t.Errorf("members response carries index headers: %v", res.header)
			}
		})
	}
}

func TestMembersAllow(t *testing.T) {
	ta := newTestAPI(t)
	res := ta.do(t, "PATCH", "/v2/members/1", "")
	if got := res.header.Get("Allow"); got != "GET,POST,DELETE,PUT" {
		t.Errorf("PATCH /v2/members/1 Allow = %q, want GET,POST,DELETE,PUT", got)
	}
	res = ta.do(t, "DELETE", "/v2/members", "")
	if got, ok := res.header["Allow"]; ok {
		t.Errorf("DELETE /v2/members Allow = %q, want none (the reference sends none)", got)
	}
}

// TestMembersArguments checks what reaches the server.
func TestMembersArguments(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "POST", "/v2/members", `{"peerURLs":["https://z:2","http://A:1"]}`, jsonCT)
	if diff := cmp.Diff([]string{"http://A:1", "https://z:2"}, ta.srv.added); diff != "" {
		t.Errorf("AddMember URLs (-want +got):\n%s", diff)
	}
	ta.do(t, "DELETE", "/v2/members/00ff", "")
	if diff := cmp.Diff([]members.ID{0xff}, ta.srv.removed); diff != "" {
		t.Errorf("RemoveMember IDs (-want +got):\n%s", diff)
	}
	ta.do(t, "PUT", "/v2/members/ff", `{"peerURLs":["http://h:3"]}`, jsonCT)
	if diff := cmp.Diff(map[members.ID][]string{0xff: {"http://h:3"}}, ta.srv.updated); diff != "" {
		t.Errorf("UpdateMember (-want +got):\n%s", diff)
	}
}

func TestMembersBodyTooLarge(t *testing.T) {
	ta := newTestAPI(t, func(c *Config) { c.MaxRequestBytes = 32 })
	res := ta.do(t, "POST", "/v2/members", `{"peerURLs":["http://127.0.0.1:2381"]}`+strings.Repeat(" ", 40), jsonCT)
	if res.status != 413 || res.body != `{"message":"http: request body too large"}` {
		t.Errorf("POST /v2/members with a large body = %d %q, want 413", res.status, res.body)
	}
}
