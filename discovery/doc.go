// Package discovery bootstraps a cluster without a static member list, and serves the
// discovery.etcd.io-compatible token service (subpackage service).
//
// Client side (SPEC §7.1): a member started with a discovery URL reads the token's size
// from <url>/_config/size, registers itself under <url>/<member ID> with
// prevExist=false, and waits with recursive watches until size members have registered;
// the first size registrations, by creation index, are the initial cluster. The URL's
// path is the token: every request goes to the URL's scheme and host with that path, so
// the same code works against a discovery service (https://disc.example/<token>) and
// against any v2 keys API (http://h:2379/v2/keys/<dir>). Unreachable endpoints and 5xx
// answers are retried with a capped exponential backoff; everything else ends the
// bootstrap with the reference's error text.
//
// DNS SRV (SPEC §7.3): the initial cluster is read from _etcd-server-ssl._tcp and
// _etcd-server._tcp records of a domain; the member finds itself among the targets by
// resolving them and its advertised peer URLs to addresses.
//
// The package knows nothing of member IDs or raft: callers pass the registration key
// and value and turn the returned "name=url,…" string into a membership.
package discovery
