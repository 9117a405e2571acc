package members

import (
	"encoding/json"
	"testing"
	"time"
)

func TestMemberAppendJSON(t *testing.T) {
	tests := []struct {
		name string
		m    Member
		want string
	}{
		{"started", Member{ID: 0x628170c800dbcee, Name: "ref1", PeerURLs: []string{"http://127.0.0.1:32380"}, ClientURLs: []string{"http://127.0.0.1:32379"}},
			`{"id":"628170c800dbcee","name":"ref1","peerURLs":["http://127.0.0.1:32380"],"clientURLs":["http://127.0.0.1:32379"]}`},
		{"unstarted: empty name and clientURLs []", Member{ID: 0x1a, PeerURLs: []string{"http://h:1"}},
			`{"id":"1a","name":"","peerURLs":["http://h:1"],"clientURLs":[]}`},
		{"Go escaping", Member{ID: 1, Name: "<a&b>\"\u2028"}, `{"id":"1","name":"\u003ca\u0026b\u003e\"\u2028","peerURLs":[],"clientURLs":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.m.AppendJSON(nil))
			if got != tt.want {
				t.Errorf("AppendJSON = %s, want %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("AppendJSON = %s is not valid JSON", got)
			}
		})
	}
	list := AppendListJSON(nil, []Member{{ID: 1}, {ID: 2}})
	if want := `{"members":[{"id":"1","name":"","peerURLs":[],"clientURLs":[]},{"id":"2","name":"","peerURLs":[],"clientURLs":[]}]}` + "\n"; string(list) != want {
		t.Errorf("AppendListJSON = %s, want %s", list, want)
	}
}

func TestNormalizeURLs(t *testing.T) {
	tests := []struct {
		in      []string
		want    []string
		wantErr string
	}{
		{[]string{"http://b:2", " http://a:1"}, []string{"http://a:1", "http://b:2"}, ""},
		{[]string{"https://h:1"}, []string{"https://h:1"}, ""},
		{[]string{"127.0.0.1:2380"}, nil, `parse "127.0.0.1:2380": first path segment in URL cannot contain colon`},
		{[]string{"ftp://h:1"}, nil, "URL scheme must be http, https, unix, or unixs: ftp://h:1"},
		{[]string{"http://h"}, nil, `URL address does not have the form "host:port": http://h`},
		{[]string{"http://h:1/p"}, nil, "URL must not contain a path: http://h:1/p"},
	}
	for _, tt := range tests {
		got, err := NormalizeURLs(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("NormalizeURLs(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("NormalizeURLs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewAddedMember(t *testing.T) {
	now := time.Unix(1700000000, 0)
	m, err := NewAddedMember([]string{"http://h:2"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "" || m.Started() || m.ID != MemberID([]string{"http://h:2"}, "", &now) {
		t.Errorf("NewAddedMember = %+v", m)
	}
}
