package main

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
)

// fakeDNS answers SRV lookups from a table keyed by "_service._proto.name".
type fakeDNS map[string][]*net.SRV

func (f fakeDNS) lookup(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	q := "_" + service + "._" + proto + "." + name
	addrs, ok := f[q]
	if !ok {
		return "", nil, errors.New("lookup " + q + ": no such host")
	}
	return q, addrs, nil
}

func TestDiscoverSRV(t *testing.T) {
	dns := fakeDNS{
		"_etcd-client-ssl._tcp.secure.example": {{Target: "a.secure.example.", Port: 2379}},
		"_etcd-client._tcp.mixed.example":      {{Target: "b.mixed.example.", Port: 2379}, {Target: "c.mixed.example.", Port: 4001}},
		"_etcd-client-ssl._tcp.mixed.example":  {{Target: "a.mixed.example.", Port: 2379}},
		"_etcd-client-prod._tcp.named.example": {{Target: "n.named.example.", Port: 1}},
	}
	tests := []struct {
		name, domain, service string
		want                  []string
		wantErr               string
	}{
		{"https only", "secure.example", "", []string{"https://a.secure.example.:2379"}, ""},
		{"https first", "mixed.example", "", []string{"https://a.mixed.example.:2379", "http://b.mixed.example.:2379", "http://c.mixed.example.:4001"}, ""},
		{"service name", "named.example", "prod", []string{"http://n.named.example.:1"}, ""},
		{"nothing", "none.example", "", nil, "dns lookup errors: lookup _etcd-client-ssl._tcp.none.example: no such host and lookup _etcd-client._tcp.none.example: no such host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := discoverSRV(t.Context(), dns.lookup, tt.domain, tt.service)
			errText := ""
			if err != nil {
				errText = err.Error()
			}
			if !slices.Equal(got, tt.want) || errText != tt.wantErr {
				t.Errorf("discoverSRV(%s) = %q, %q, want %q, %q", tt.domain, got, errText, tt.want, tt.wantErr)
			}
		})
	}
}
