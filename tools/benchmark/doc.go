// Command benchmark is the load tool for etcd v2 servers: it drives this repository's server
// or the reference `etcd --enable-v2` over the v2 keys API and reports throughput, latency
// percentiles and, given the server's pid, the server's CPU time per request and its
// resident memory.
//
// Scenarios (one subcommand each):
//
//	put      PUT values to one key or to distinct keys /bench/<n>
//	get      GET one key or distinct keys (written once first, unless --prefill=false)
//	mixed    GETs and PUTs in the proportion given by --ratio (the read fraction)
//	watch    W long-poll watchers on one key, one PUT, time until each watcher got it
//	fill     write N keys of S bytes and report the server's RSS growth per key
//	restart  start a server on an existing data dir and time its first served read
//	ready    wait until an endpoint serves reads (used by compare.sh)
//	ports    print free TCP ports on 127.0.0.1 (used by compare.sh)
//
// Every client owns one keep-alive connection per endpoint (or --conns connections are
// shared by all clients) and walks the endpoints round-robin, one request at a time. The
// load loops and the watchers speak HTTP/1.1 through a small client of their own
// (httpconn.go), so that the tool, pinned to one core, outruns the server it measures;
// each report gives the tool's own CPU use to check that, and --cpuprofile profiles it.
// Progress goes to stderr once a second; results go to stdout, as text or with --json as
// one JSON object. compare.sh beside this file runs the target scenarios against
// both servers and prints a markdown table.
package main
