package members

import (
	"testing"
	"time"
)

func TestMemberIDAndClusterID(t *testing.T) {
	// Values read off etcd 3.4.23 started with the same flags.
	tests := []struct {
		name        string
		peerURLs    []string
		token       string
		wantMember  string
		wantCluster string
	}{
		{"single member on 32380", []string{"http://127.0.0.1:32380"}, "etcd-cluster", "628170c800dbcee", "babc9795b64f03e3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := MemberID(tt.peerURLs, tt.token, nil)
			if got := id.String(); got != tt.wantMember {
				t.Errorf("MemberID = %s, want %s", got, tt.wantMember)
			}
			if got := ClusterID([]ID{id}).String(); got != tt.wantCluster {
				t.Errorf("ClusterID = %s, want %s", got, tt.wantCluster)
			}
		})
	}
}

func TestMemberIDSortsURLsAndMixesInAddTime(t *testing.T) {
	a := MemberID([]string{"http://b:2", "http://a:1"}, "tok", nil)
	b := MemberID([]string{"http://a:1", "http://b:2"}, "tok", nil)
	if a != b {
		t.Errorf("MemberID depends on URL order: %s != %s", a, b)
	}
	if c := MemberID([]string{"http://a:1", "http://b:2"}, "other", nil); c == a {
		t.Errorf("MemberID ignores the token")
	}
	t1, t2 := time.Unix(1000, 0), time.Unix(1001, 0)
	if MemberID([]string{"http://a:1"}, "", &t1) == MemberID([]string{"http://a:1"}, "", &t2) {
		t.Errorf("MemberID ignores the add time")
	}
}

func TestClusterIDOrderIndependent(t *testing.T) {
	if ClusterID([]ID{1, 2, 3}) != ClusterID([]ID{3, 1, 2}) {
		t.Errorf("ClusterID depends on member order")
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in      string
		want    ID
		wantErr bool
	}{
		{"628170c800dbcee", 0x628170c800dbcee, false},
		{"ffffffffffffffff", 0xffffffffffffffff, false},
		{"", 0, true},
		{"xyz", 0, true},
		{"1ffffffffffffffff", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseID(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
