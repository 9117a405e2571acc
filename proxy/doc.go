// Package proxy is the etcd v2 client-API proxy (SPEC §8.2): a stateless HTTP reverse
// proxy that forwards client requests to the members of a cluster.
//
// The proxy learns the members' client URLs through a caller-supplied function (the peer
// endpoint /members, discovery or SRV in package main), refreshes them every refresh
// interval, and sends each request to the first available endpoint of a list shuffled at
// every refresh. A transport error marks the endpoint unavailable for the failure wait
// and the request moves on to the next endpoint, replaying the buffered body. Answers
// are passed through unchanged, streamed chunk by chunk so that watches reach the client
// as they happen.
//
// The wire behaviour is etcd 3.4.23's `--proxy on|readonly`: the JSON error bodies and
// statuses when no endpoint answers, 501 with an empty body for every method but GET in
// readonly mode, the local /v2/config/local/proxy view, CORS headers added in front of
// the members' own, X-Forwarded-For, and the etcd_proxy_* metrics.
package proxy
