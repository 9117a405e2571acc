package discovery

import (
	"strings"
	"testing"

	"github.com/etcd2/etcd2/discovery/dnstest"
)

func TestSRVCluster(t *testing.T) {
	srv := func(name, target string, port, prio uint16) dnstest.SRV {
		return dnstest.SRV{Name: name, Target: target, Port: port, Priority: prio}
	}
	const (
		plain  = "_etcd-server._tcp.etcd2.test."
		secure = "_etcd-server-ssl._tcp.etcd2.test."
	)
	dns := dnstest.Start(t, []dnstest.SRV{
		srv(plain, "m1.etcd2.test.", 2380, 1),
		srv(plain, "m2.etcd2.test.", 2381, 2),
		srv(plain, "m3.etcd2.test.", 2382, 3),
		srv("_etcd-server-ssl._tcp.mixed.test.", "m1.etcd2.test.", 2480, 1),
		srv("_etcd-server._tcp.mixed.test.", "m2.etcd2.test.", 2381, 1),
		srv("_etcd-server-ssl-blue._tcp.etcd2.test.", "m1.etcd2.test.", 2580, 1),
		srv("_etcd-server._tcp.lost.test.", "nowhere.etcd2.test.", 2380, 1),
		srv("_etcd-server._tcp.lost.test.", "m2.etcd2.test.", 2381, 2),
		srv("_etcd-server._tcp.gone.test.", "nowhere.etcd2.test.", 2380, 1),
		srv("_etcd-server._tcp.wrong.test.", "m1.etcd2.test.", 2380, 1),
		srv(secure, "m9.etcd2.test.", 2999, 1),
	}, map[string]string{
		"m1.etcd2.test.": "127.0.0.1", "m2.etcd2.test.": "127.0.0.1",
		"m3.etcd2.test.": "127.0.0.1", "m9.etcd2.test.": "127.0.0.9",
	})
	r := NewResolver(dns.Addr)
	tests := []struct {
		name, domain, service, self string
		advertise                   []string
		want, wantErr               string // wantErr: a substring
	}{
		{
			name: "http records, self by address", domain: "etcd2.test", self: "n2",
			advertise: []string{"http://127.0.0.1:2381"},
			// the ssl record of another member comes first
			want: "0=https://m9.etcd2.test:2999,1=http://m1.etcd2.test:2380,n2=http://m2.etcd2.test:2381,2=http://m3.etcd2.test:2382",
		},
		{
			name: "self advertised by name", domain: "etcd2.test", self: "n3",
			advertise: []string{"http://m3.etcd2.test:2382"},
			want:      "0=https://m9.etcd2.test:2999,1=http://m1.etcd2.test:2380,2=http://m2.etcd2.test:2381,n3=http://m3.etcd2.test:2382",
		},
		{
			name: "https and http records", domain: "mixed.test", self: "a",
			advertise: []string{"https://127.0.0.1:2480"},
			want:      "a=https://m1.etcd2.test:2480,0=http://m2.etcd2.test:2381",
		},
		{
			name: "service name suffix", domain: "etcd2.test", service: "blue", self: "a",
			advertise: []string{"https://127.0.0.1:2580"},
			want:      "a=https://m1.etcd2.test:2580",
		},
		{
			name: "proxy view names nobody", domain: "mixed.test",
			want: "0=https://m1.etcd2.test:2480,1=http://m2.etcd2.test:2381",
		},
		{
			name: "unresolvable target skipped", domain: "lost.test", self: "a",
			advertise: []string{"http://127.0.0.1:2381"},
			want:      "a=http://m2.etcd2.test:2381",
		},
		{
			name: "not among the targets", domain: "mixed.test", self: "n9",
			advertise: []string{"http://127.0.0.1:9999"},
			wantErr:   `cannot find local etcd member "n9" in SRV records`,
		},
		{
			name: "scheme mismatch", domain: "wrong.test", self: "a",
			advertise: []string{"https://127.0.0.1:2380"},
			wantErr:   "error querying DNS SRV records for _etcd-server bootstrap at http://m1.etcd2.test:2380 from DNS for etcd-server has scheme mismatch with expected peer https://127.0.0.1:2380",
		},
		{
			name: "no records", domain: "none.test", self: "a",
			advertise: []string{"http://127.0.0.1:2380"},
			wantErr:   "error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.none.test",
		},
		{
			name: "only unresolvable targets", domain: "gone.test", self: "a",
			advertise: []string{"http://127.0.0.1:2380"},
			wantErr:   "error querying DNS SRV records for _etcd-server lookup nowhere.etcd2.test",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SRVCluster(t.Context(), r, tt.domain, tt.service, tt.self, tt.advertise)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SRVCluster = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("SRVCluster = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
