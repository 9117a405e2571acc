package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/etcd2/etcd2/proxy"
)

func TestRunsAsProxy(t *testing.T) {
	tests := []struct {
		name    string
		dirs    []string
		mode    string
		want    bool
		wantErr bool
	}{
		{"empty data dir, proxy off", nil, proxyOff, false, false},
		{"empty data dir, proxy on", nil, proxyOn, true, false},
		{"empty data dir, readonly", nil, proxyReadonly, true, false},
		{"member stays a member", []string{"member"}, proxyOn, false, false},
		{"proxy stays a proxy", []string{"proxy"}, proxyOff, true, false},
		{"other entries ignored", []string{"fixtures"}, proxyOff, false, false},
		{"both", []string{"member", "proxy"}, proxyOn, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			for _, d := range tt.dirs {
				os.MkdirAll(filepath.Join(dir, d), 0o700)
			}
			cfg := &serverConfig{DataDir: dir, Proxy: proxySettings{Mode: tt.mode}}
			got, err := runsAsProxy(cfg, zerolog.New(zerolog.NewTestWriter(t)))
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("runsAsProxy = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// fakePeer serves GET /members like a member's peer listener.
func fakePeer(t *testing.T, ms []peerMember) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/members" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Etcd-Cluster-Id", "cdf818194e3a8c32")
		json.NewEncoder(w).Encode(ms)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestProxyClusterClientURLs(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	three := []peerMember{
		{ID: 1, Name: "n2", PeerURLs: []string{"http://10.0.0.2:2380"}, ClientURLs: []string{"http://10.0.0.2:2379"}},
		{ID: 2, Name: "n1", PeerURLs: []string{"http://10.0.0.1:2380"}, ClientURLs: []string{"http://10.0.0.1:2379", "http://10.0.0.1:4001"}},
		{ID: 3, Name: "", PeerURLs: []string{"http://10.0.0.3:2380"}, ClientURLs: []string{}}, // not started yet
	}
	good := fakePeer(t, three)
	empty := fakePeer(t, []peerMember{})
	tests := []struct {
		name       string
		peers      []string
		want       []string
		wantPeers  []string // peers asked next time
		wantFile   string   // cluster file content, "" for none
		wantFailed bool
	}{
		{"first peer answers", []string{good.URL}, []string{"http://10.0.0.1:2379", "http://10.0.0.1:4001", "http://10.0.0.2:2379"},
			[]string{"http://10.0.0.1:2380", "http://10.0.0.2:2380", "http://10.0.0.3:2380"},
			`{"PeerURLs":["http://10.0.0.1:2380","http://10.0.0.2:2380","http://10.0.0.3:2380"]}`, false},
		{"dead and empty peers skipped", []string{deadURL, empty.URL, good.URL}, []string{"http://10.0.0.1:2379", "http://10.0.0.1:4001", "http://10.0.0.2:2379"},
			[]string{"http://10.0.0.1:2380", "http://10.0.0.2:2380", "http://10.0.0.3:2380"},
			`{"PeerURLs":["http://10.0.0.1:2380","http://10.0.0.2:2380","http://10.0.0.3:2380"]}`, false},
		{"no peer answers", []string{deadURL, empty.URL}, nil, []string{deadURL, empty.URL}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "cluster")
			pc := &proxyCluster{
				hc:       &http.Client{Transport: proxy.NewTransport(nil, time.Second, 0, time.Second)},
				peerURLs: tt.peers,
				file:     file,
				lg:       zerolog.New(zerolog.NewTestWriter(t)),
			}
			got := pc.clientURLs(context.Background())
			if !slices.Equal(got, tt.want) {
				t.Errorf("clientURLs = %q, want %q", got, tt.want)
			}
			if !slices.Equal(pc.peerURLs, tt.wantPeers) {
				t.Errorf("peers to ask next = %q, want %q", pc.peerURLs, tt.wantPeers)
			}
			b, _ := os.ReadFile(file)
			if string(b) != tt.wantFile {
				t.Errorf("cluster file = %q, want %q", b, tt.wantFile)
			}
			if pc.failing != tt.wantFailed {
				t.Errorf("failing = %v, want %v", pc.failing, tt.wantFailed)
			}
		})
	}
}

// The cluster file is rewritten only when the cluster's peer URLs change.
func TestProxyClusterRewritesFileOnChange(t *testing.T) {
	ms := []peerMember{{ID: 1, Name: "n1", PeerURLs: []string{"http://10.0.0.1:2380"}, ClientURLs: []string{"http://10.0.0.1:2379"}}}
	var served []peerMember
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Cluster-Id", "1")
		json.NewEncoder(w).Encode(served)
	}))
	defer peer.Close()
	file := filepath.Join(t.TempDir(), "cluster")
	pc := &proxyCluster{
		hc:       &http.Client{Transport: proxy.NewTransport(nil, time.Second, 0, time.Second)},
		peerURLs: []string{peer.URL},
		written:  []string{"http://10.0.0.1:2380"},
		file:     file,
		lg:       zerolog.New(zerolog.NewTestWriter(t)),
	}
	served = ms
	pc.peerURLs = []string{peer.URL}
	pc.clientURLs(context.Background())
	if _, err := os.Stat(file); err == nil {
		t.Fatal("cluster file written although the peer URLs did not change")
	}
	served = append(ms, peerMember{ID: 2, Name: "n2", PeerURLs: []string{"http://10.0.0.2:2380"}, ClientURLs: []string{"http://10.0.0.2:2379"}})
	pc.peerURLs = []string{peer.URL}
	got := pc.clientURLs(context.Background())
	b, _ := os.ReadFile(file)
	if want := `{"PeerURLs":["http://10.0.0.1:2380","http://10.0.0.2:2380"]}`; string(b) != want {
		t.Errorf("cluster file = %s, want %s", b, want)
	}
	if want := []string{"http://10.0.0.1:2379", "http://10.0.0.2:2379"}; !slices.Equal(got, want) {
		t.Errorf("clientURLs = %q, want %q", got, want)
	}
	if !strings.Contains(fmt.Sprint(pc.peerURLs), "10.0.0.2") {
		t.Errorf("peers to ask next = %q, want the new member's", pc.peerURLs)
	}
}
