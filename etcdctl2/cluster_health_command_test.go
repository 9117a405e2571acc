package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckMembers(t *testing.T) {
	healthy := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"health":"true"}`) }))
	healthyV2 := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"health": true}`) }))
	sick := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"health":"false"}`) }))
	garbled := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `<html>`) }))
	dead := refusedURL(t)
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(untrusted.Close)

	tests := []struct {
		name        string
		m           member
		wantHealthy int
		want        string
	}{
		{"healthy", member{ID: "a", ClientURLs: []string{healthy}}, 1, "member a is healthy: got healthy result from " + healthy + "\n"},
		{"healthy (v2 answer)", member{ID: "a", ClientURLs: []string{healthyV2}}, 1, "member a is healthy: got healthy result from " + healthyV2 + "\n"},
		{"unhealthy", member{ID: "b", ClientURLs: []string{sick}}, 0, "member b is unhealthy: got unhealthy result from " + sick + "\n"},
		{"unstarted", member{ID: "c"}, 0, "member c is unreachable: no available published client urls\n"},
		{"second URL answers", member{ID: "d", ClientURLs: []string{dead, healthy}}, 1,
			"failed to check the health of member d on " + dead + ": Get \"" + dead + "/health\": dial tcp " + strings.TrimPrefix(dead, "http://") + ": connect: connection refused\n" +
				"member d is healthy: got healthy result from " + healthy + "\n"},
		{"all unreachable", member{ID: "e", ClientURLs: []string{garbled, dead}}, 0, "failed to check the health of member e on " + garbled + ": invalid character '<' looking for beginning of value\n" +
			"failed to check the health of member e on " + dead + ": Get \"" + dead + "/health\": dial tcp " + strings.TrimPrefix(dead, "http://") + ": connect: connection refused\n" +
			"member e is unreachable: [" + garbled + " " + dead + "] are all unreachable\n"},
		{"certificate error without the tls prefix", member{ID: "f", ClientURLs: []string{untrusted.URL}}, 0,
			"failed to check the health of member f on " + untrusted.URL + ": Get \"" + untrusted.URL + "/health\": x509: certificate signed by unknown authority\n" +
				"member f is unreachable: [" + untrusted.URL + "] are all unreachable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			n := checkMembers(t.Context(), &out, &http.Client{}, []member{tt.m})
			if n != tt.wantHealthy || out.String() != tt.want {
				t.Errorf("checkMembers = %d:\n%s\nwant %d:\n%s", n, out.String(), tt.wantHealthy, tt.want)
			}
		})
	}
}
