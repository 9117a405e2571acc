package main

import (
	"context"
	"runtime"
	"time"

	"github.com/rs/zerolog"
)

// On a single CPU (a one-core machine, or a member pinned with taskset) Go runs one P.
// The WAL's fdatasync then blocks the only P until the runtime hands it off, and proposers
// stall behind it: pinned to one core, PUT throughput at 64 clients swings between 7.5k
// and 20k QPS from run to run with one P and holds at 20k with two. A second P on one core
// costs scheduler work instead: about 7 µs more CPU per GET (35k instead of 51k GET QPS).
// So a single-CPU member runs two Ps only while it is writing.
const (
	procsInterval = 250 * time.Millisecond
	// procsBusySyncs is the number of WAL fsyncs in one interval (100 per second) from
	// which the member counts as writing.
	procsBusySyncs = 25
	// procsQuietIntervals is how many intervals below that it waits before going back to
	// one P, so that a bursty writer does not flip the setting (each change stops the
	// world briefly).
	procsQuietIntervals = 8
)

// procsDecision is the number of Ps to run next, given the current number, the fsyncs of
// the last interval and the count of quiet intervals so far (returned updated).
func procsDecision(cur int, syncs uint64, quiet int) (next, quietAfter int) {
	if syncs >= procsBusySyncs {
		return 2, 0
	}
	quiet++
	if cur > 1 && quiet >= procsQuietIntervals {
		return 1, quiet
	}
	return cur, quiet
}

// tuneProcs adapts GOMAXPROCS between 1 and 2 to the write load, read as the WAL's fsync
// counter, until ctx ends. It does nothing unless Go chose a single P and the operator
// did not set GOMAXPROCS.
func tuneProcs(ctx context.Context, lg zerolog.Logger, syncs func() uint64, explicit bool) {
	if explicit || runtime.GOMAXPROCS(0) != 1 {
		return
	}
	cur, quiet, last := 1, 0, syncs()
	t := time.NewTicker(procsInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := syncs()
		next, q := procsDecision(cur, now-last, quiet)
		last, quiet = now, q
		if next != cur {
			runtime.GOMAXPROCS(next)
			lg.Debug().Int("gomaxprocs", next).Msg("single CPU: adapted the number of Ps to the write load")
			cur = next
		}
	}
}
