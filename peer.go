package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/etcd2/etcd2/raft"
)

// newPeerHandler serves the peer listener: raft traffic under /raft/, the member list
// that joining members and proxies read (/members), and /version.
func newPeerHandler(node *raft.Node, version string) http.Handler {
	mux := http.NewServeMux()
	if h := node.PeerHandler(); h != nil {
		mux.Handle("/raft/", h)
	}
	mux.HandleFunc("GET /members", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Cluster-Id", node.ClusterID().String())
		ms := node.Members()
		out := make([]peerMember, len(ms))
		for i, m := range ms {
			out[i] = peerMember{ID: uint64(m.ID), PeerURLs: nonNil(m.PeerURLs), Name: m.Name, ClientURLs: nonNil(m.ClientURLs)}
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		cv := node.ClusterVersion()
		if cv == "" {
			cv = "not_decided"
		}
		fmt.Fprintf(w, `{"etcdserver":%q,"etcdcluster":%q}`, version, cv)
	})
	return mux
}

// peerMember is a member as the peer endpoint /members shows it: the reference's shape,
// with a numeric ID (joining members and proxies read it).
type peerMember struct {
	ID         uint64   `json:"id"`
	PeerURLs   []string `json:"peerURLs"`
	Name       string   `json:"name"`
	ClientURLs []string `json:"clientURLs"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
