// Package httpapi serves the client-facing HTTP surface of a member (SPEC §1): the v2 keys
// API with its watches, the members API, statistics, /v2/machines, /version, /health,
// /metrics, the runtime log level and the debug endpoints.
//
// The package turns requests into store commands and writes events and errors back; it
// holds no store logic. Writes and linearizable reads go through a Server (raft in
// production, a fake in tests); plain reads and watches go straight to the local store
// through KV. Every wire detail (status codes, headers, error texts, trailing newlines)
// follows the reference etcd 3.4.23 with --enable-v2, as SPEC.md records it.
//
// Request flow: recover → request ID and logger → CORS → path cleaning (301) → body limit →
// router → one resource handler, which checks the method, parses the request with a pure
// function, calls the Server or KV once and writes exactly one response.
package httpapi
