package httpapi

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/etcd2/etcd2/store"
)

func TestCommand(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	exp10 := now.Add(10 * time.Second).UnixNano()
	tests := []struct {
		name   string
		method string
		target string
		want   store.Command
	}{
		// PUT (SPEC §2.3).
		{"set", "PUT", "/v2/keys/k?value=v", store.Command{Op: store.OpSet, Key: "/1/k", Value: "v"}},
		{"set dir drops value", "PUT", "/v2/keys/d?dir=true&value=v", store.Command{Op: store.OpSet, Key: "/1/d", Dir: true}},
		{"set with ttl", "PUT", "/v2/keys/k?value=v&ttl=10", store.Command{Op: store.OpSet, Key: "/1/k", Value: "v", Expiration: exp10}},
		{"ttl zero expires now", "PUT", "/v2/keys/k?ttl=0", store.Command{Op: store.OpSet, Key: "/1/k", Expiration: now.UnixNano()}},
		{"huge ttl wraps like the reference", "PUT", "/v2/keys/k?ttl=18446744073709551615",
			store.Command{Op: store.OpSet, Key: "/1/k", Expiration: now.Add(-time.Second).UnixNano()}},
		{"prevIndex 0 alone is a set", "PUT", "/v2/keys/k?value=v&prevIndex=0", store.Command{Op: store.OpSet, Key: "/1/k", Value: "v"}},
		{"create", "PUT", "/v2/keys/k?value=v&prevExist=false", store.Command{Op: store.OpCreate, Key: "/1/k", Value: "v"}},
		{"create dir", "PUT", "/v2/keys/d?dir=true&prevExist=false", store.Command{Op: store.OpCreate, Key: "/1/d", Dir: true}},
		{"prevExist=false beats conditions", "PUT", "/v2/keys/k?value=v&prevExist=false&prevValue=a&prevIndex=3",
			store.Command{Op: store.OpCreate, Key: "/1/k", Value: "v"}},
		{"update", "PUT", "/v2/keys/k?value=v&prevExist=true", store.Command{Op: store.OpUpdate, Key: "/1/k", Value: "v"}},
		{"update ignores dir", "PUT", "/v2/keys/k?prevExist=true&dir=true&ttl=10",
			store.Command{Op: store.OpUpdate, Key: "/1/k", Expiration: exp10}},
		{"update with prevIndex 0", "PUT", "/v2/keys/k?value=v&prevExist=true&prevIndex=0", store.Command{Op: store.OpUpdate, Key: "/1/k", Value: "v"}},
		{"cas with prevExist and prevValue", "PUT", "/v2/keys/k?value=v&prevExist=true&prevValue=a",
			store.Command{Op: store.OpCompareAndSwap, Key: "/1/k", Value: "v", PrevValue: "a"}},
		{"cas with prevExist and prevIndex", "PUT", "/v2/keys/k?value=v&prevExist=true&prevIndex=4",
			store.Command{Op: store.OpCompareAndSwap, Key: "/1/k", Value: "v", PrevIndex: 4}},
		{"cas by prevValue", "PUT", "/v2/keys/k?value=v&prevValue=a", store.Command{Op: store.OpCompareAndSwap, Key: "/1/k", Value: "v", PrevValue: "a"}},
		{"cas by prevIndex", "PUT", "/v2/keys/k?value=v&prevIndex=4", store.Command{Op: store.OpCompareAndSwap, Key: "/1/k", Value: "v", PrevIndex: 4}},
		{"cas by both, dir ignored", "PUT", "/v2/keys/k?value=v&prevValue=a&prevIndex=4&dir=true",
			store.Command{Op: store.OpCompareAndSwap, Key: "/1/k", Value: "v", PrevValue: "a", PrevIndex: 4}},
		// Refresh variants (SPEC §2.9).
		{"refresh set", "PUT", "/v2/keys/k?refresh=true&ttl=10", store.Command{Op: store.OpSet, Key: "/1/k", Refresh: true, Expiration: exp10}},
		{"refresh update", "PUT", "/v2/keys/k?refresh=true&ttl=10&prevExist=true",
			store.Command{Op: store.OpUpdate, Key: "/1/k", Refresh: true, Expiration: exp10}},
		{"refresh cas", "PUT", "/v2/keys/k?refresh=true&ttl=10&prevValue=a",
			store.Command{Op: store.OpCompareAndSwap, Key: "/1/k", PrevValue: "a", Refresh: true, Expiration: exp10}},
		{"refresh ignored by create", "PUT", "/v2/keys/k?refresh=true&ttl=10&prevExist=false",
			store.Command{Op: store.OpCreate, Key: "/1/k", Expiration: exp10}},
		{"refresh=false is a plain set", "PUT", "/v2/keys/k?refresh=false&value=v", store.Command{Op: store.OpSet, Key: "/1/k", Value: "v"}},
		// POST.
		{"post", "POST", "/v2/keys/q?value=job", store.Command{Op: store.OpCreate, Key: "/1/q", Value: "job", Unique: true}},
		{"post dir with ttl", "POST", "/v2/keys/q?dir=true&ttl=10&value=x",
			store.Command{Op: store.OpCreate, Key: "/1/q", Unique: true, Dir: true, Expiration: exp10}},
		{"post ignores conditions", "POST", "/v2/keys/q?value=j&prevExist=true&prevValue=a",
			store.Command{Op: store.OpCreate, Key: "/1/q", Value: "j", Unique: true}},
		{"post to root", "POST", "/v2/keys/?value=j", store.Command{Op: store.OpCreate, Key: "/1", Value: "j", Unique: true}},
		// DELETE.
		{"delete", "DELETE", "/v2/keys/k", store.Command{Op: store.OpDelete, Key: "/1/k"}},
		{"delete dir", "DELETE", "/v2/keys/d?dir=true", store.Command{Op: store.OpDelete, Key: "/1/d", Dir: true}},
		{"delete recursive", "DELETE", "/v2/keys/d?recursive=true", store.Command{Op: store.OpDelete, Key: "/1/d", Recursive: true}},
		{"delete ignores prevExist", "DELETE", "/v2/keys/k?prevExist=false", store.Command{Op: store.OpDelete, Key: "/1/k"}},
		{"delete ignores ttl and value", "DELETE", "/v2/keys/k?ttl=5&value=v", store.Command{Op: store.OpDelete, Key: "/1/k"}},
		{"cad by prevValue", "DELETE", "/v2/keys/k?prevValue=a&recursive=true", store.Command{Op: store.OpCompareAndDelete, Key: "/1/k", PrevValue: "a"}},
		{"cad by prevIndex", "DELETE", "/v2/keys/k?prevIndex=9&dir=true", store.Command{Op: store.OpCompareAndDelete, Key: "/1/k", PrevIndex: 9}},
		{"prevIndex 0 delete", "DELETE", "/v2/keys/k?prevIndex=0", store.Command{Op: store.OpDelete, Key: "/1/k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := parseKeyRequest(newKeyRequest(tt.method, tt.target, ""), 1<<20)
			if err != nil {
				t.Fatalf("parseKeyRequest(%s %s) error = %v", tt.method, tt.target, err)
			}
			got := kr.command(now)
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("command(%s %s) mismatch (-want +got):\n%s", tt.method, tt.target, diff)
			}
		})
	}
}
