// Package stats keeps the member statistics served as /v2/stats/self and
// /v2/stats/leader, with the reference's JSON shapes (SPEC §5). Everything is safe for
// concurrent use; time comes from an injected clock so tests are deterministic.
package stats
