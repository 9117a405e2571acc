package main

import (
	"fmt"
	"net/http"

	"github.com/etcd2/etcd2/raft"
)

// newPeerHandler serves the peer listener: /members (the member list that joining
// members and proxies read) and /version.
func newPeerHandler(node *raft.Node, version string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /members", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Cluster-Id", node.ClusterID().String())
		ms := node.Members()
		buf := []byte{'['}
		for i := range ms {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = ms[i].AppendJSON(buf)
		}
		w.Write(append(buf, "]\n"...))
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
