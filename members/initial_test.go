package members

import (
	"errors"
	"testing"
)

func TestParseInitialClusterAndBootstrap(t *testing.T) {
	tests := []struct {
		name    string
		cluster string
		self    string
		adv     []string
		wantErr string
		wantN   int
	}{
		{"single", "default=http://localhost:2380", "default", []string{"http://localhost:2380"}, "", 1},
		{"three", "a=http://127.0.0.1:1,b=http://127.0.0.1:2,c=http://127.0.0.1:3", "b", []string{"http://127.0.0.1:2"}, "", 3},
		{"multi-URL member", "a=http://127.0.0.1:1,a=http://127.0.0.1:9,b=http://127.0.0.1:2", "a", []string{"http://127.0.0.1:9", "http://127.0.0.1:1"}, "", 2},
		{"name not listed", "y=http://127.0.0.1:1", "x", []string{"http://127.0.0.1:1"},
			`members: bad initial cluster: couldn't find local name "x" in the initial cluster configuration`, 0},
		{"advertised differs", "x=http://127.0.0.1:2", "x", []string{"http://127.0.0.1:1"},
			`members: bad initial cluster: --initial-cluster has x=http://127.0.0.1:2 but missing from --initial-advertise-peer-urls=http://127.0.0.1:1 (resolved urls: "http://127.0.0.1:1" != "http://127.0.0.1:2")`, 0},
		{"duplicate URL", "x=http://127.0.0.1:1,y=http://127.0.0.1:1", "x", []string{"http://127.0.0.1:1"},
			"members: bad initial cluster: initial cluster x=http://127.0.0.1:1,y=http://127.0.0.1:1 has duplicate url", 0},
		{"URL without scheme", "x=127.0.0.1:1", "x", nil,
			`members: bad initial cluster: error setting up initial cluster: parse "127.0.0.1:1": first path segment in URL cannot contain colon`, 0},
		{"no equals sign", "x", "x", nil, `members: bad initial cluster: error setting up initial cluster: "x" is not of the form name=url`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic, err := ParseInitialCluster(tt.cluster)
			var ms []Member
			var self, cid ID
			if err == nil {
				self, cid, ms, err = ic.Bootstrap(tt.self, tt.adv, "etcd-cluster")
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrBootstrap) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tt.wantN {
				t.Fatalf("got %d members, want %d", len(ms), tt.wantN)
			}
			ids := []ID{}
			found := false
			for i, m := range ms {
				ids = append(ids, m.ID)
				if i > 0 && ms[i-1].ID >= m.ID {
					t.Errorf("members not sorted by ID")
				}
				if m.ID == self {
					found = m.Name == tt.self
				}
			}
			if !found {
				t.Errorf("self %s not among members %+v", self, ms)
			}
			if cid != ClusterID(ids) {
				t.Errorf("cluster ID %s, want %s", cid, ClusterID(ids))
			}
		})
	}
}
