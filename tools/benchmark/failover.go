package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
)

// failoverConfig is one leader-kill measurement on a running cluster.
type failoverConfig struct {
	Endpoints []string // client URLs of every member
	PIDs      []int    // the members' pids, in the order of Endpoints
	Clients   int
	Warmup    time.Duration // writing before the kill
	After     time.Duration // writing after the first acknowledgement that followed the kill
	Timeout   time.Duration // per request
	Limit     time.Duration // give up when no write is acknowledged this long after the kill
	Progress  io.Writer
	// kill stops a process; syscall.Kill with SIGKILL unless a test replaces it.
	kill func(pid int) error
}

// failoverResult is what a leader kill cost the writers.
type failoverResult struct {
	Leader      int           // index of the killed member
	NewLeader   int           // index of the member that led afterwards, -1 if unknown
	LastBefore  time.Duration // kill time minus the last acknowledgement before it
	FirstAfter  time.Duration // first acknowledgement of a write sent after the kill, minus the kill time
	Gap         time.Duration // LastBefore + FirstAfter: writes acknowledged neither side
	Requests    int64
	Errors      int64
	FirstError  string
	Latency     *histogram
	WritesAfter int64 // acknowledged writes sent after the kill
}

// runFailover writes to every member but the leader with cfg.Clients clients, kills the
// leader, and times the pause in acknowledged writes. Writes go to the surviving members
// only, so the figure is the cluster's recovery (a new leader, then commits), not a
// client's endpoint failover.
func runFailover(ctx context.Context, cfg failoverConfig) (failoverResult, error) {
	if len(cfg.Endpoints) < 3 || len(cfg.Endpoints) != len(cfg.PIDs) {
		return failoverResult{}, fmt.Errorf("need at least 3 endpoints and one pid per endpoint (got %d and %d)", len(cfg.Endpoints), len(cfg.PIDs))
	}
	if cfg.kill == nil {
		cfg.kill = func(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
	}
	hc := &http.Client{Timeout: cfg.Timeout}
	leader, err := findLeader(ctx, hc, cfg.Endpoints, -1)
	if err != nil {
		return failoverResult{}, err
	}
	var survivors []string
	for i, ep := range cfg.Endpoints {
		if i != leader {
			survivors = append(survivors, ep)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		killedAt   atomic.Int64 // UnixNano of the kill, 0 before
		lastBefore atomic.Int64 // UnixNano of the last acknowledgement before the kill
		firstAfter atomic.Int64 // UnixNano of the first acknowledgement of a write sent after it
		after      atomic.Int64
		done       atomic.Int64
		errs       errorTally
	)
	value := makeValue(64)
	hists := make([]*histogram, cfg.Clients)
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		hists[c] = newHistogram()
		cl := newV2Client(newPools(survivors, 1), c, false, cfg.Timeout)
		wg.Go(func() {
			defer func() {
				for _, p := range cl.pools {
					p.closeAll()
				}
			}()
			for n := 0; ctx.Err() == nil; n++ {
				sent := time.Now()
				err := cl.put(ctx, "/failover/"+strconv.Itoa(c)+"/"+strconv.Itoa(n), value)
				acked := time.Now()
				done.Add(1)
				if err != nil {
					if ctx.Err() == nil {
						errs.add(err)
					}
					continue
				}
				hists[c].Record(acked.Sub(sent))
				k := killedAt.Load()
				switch {
				case k == 0:
					storeMax(&lastBefore, acked.UnixNano())
				case sent.UnixNano() > k:
					firstAfter.CompareAndSwap(0, acked.UnixNano())
					after.Add(1)
				}
			}
		})
	}
	stop := func() { cancel(); wg.Wait() }

	if !sleepCtx(ctx, cfg.Warmup) {
		stop()
		return failoverResult{}, ctx.Err()
	}
	if lastBefore.Load() == 0 {
		stop()
		return failoverResult{}, fmt.Errorf("no write acknowledged during the %v warm-up: %s", cfg.Warmup, errs.firstError())
	}
	fmt.Fprintf(cfg.Progress, "killing the leader %s (pid %d)\n", cfg.Endpoints[leader], cfg.PIDs[leader])
	kill := time.Now()
	killedAt.Store(kill.UnixNano())
	if err := cfg.kill(cfg.PIDs[leader]); err != nil {
		stop()
		return failoverResult{}, fmt.Errorf("kill %d: %w", cfg.PIDs[leader], err)
	}
	limit := time.NewTimer(cfg.Limit)
	defer limit.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for firstAfter.Load() == 0 {
		select {
		case <-ctx.Done():
			stop()
			return failoverResult{}, ctx.Err()
		case <-limit.C:
			stop()
			return failoverResult{}, fmt.Errorf("no write acknowledged within %v of the kill: %s", cfg.Limit, errs.firstError())
		case <-tick.C:
		}
	}
	fmt.Fprintf(cfg.Progress, "first write acknowledged %v after the kill\n", time.Duration(firstAfter.Load()-kill.UnixNano()))
	sleepCtx(ctx, cfg.After)
	stop()

	res := failoverResult{
		Leader:      leader,
		NewLeader:   -1,
		LastBefore:  time.Duration(kill.UnixNano() - lastBefore.Load()),
		FirstAfter:  time.Duration(firstAfter.Load() - kill.UnixNano()),
		Requests:    done.Load(),
		Errors:      errs.n.Load(),
		FirstError:  errs.firstError(),
		Latency:     newHistogram(),
		WritesAfter: after.Load(),
	}
	res.Gap = res.LastBefore + res.FirstAfter
	for _, h := range hists {
		res.Latency.Merge(h)
	}
	if nl, err := findLeader(context.Background(), hc, cfg.Endpoints, leader); err == nil {
		res.NewLeader = nl
	}
	return res, nil
}

// storeMax raises v to x if x is larger.
func storeMax(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if x <= cur || v.CompareAndSwap(cur, x) {
			return
		}
	}
}

// sleepCtx sleeps d unless ctx ends first; it reports whether it slept the whole time.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// findLeader returns the index of the endpoint whose /v2/stats/self says StateLeader,
// skipping index skip (a killed member). It asks until one answers or ctx ends.
func findLeader(ctx context.Context, hc *http.Client, endpoints []string, skip int) (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		for i, ep := range endpoints {
			if i == skip {
				continue
			}
			if state, err := selfState(ctx, hc, ep); err == nil && state == "StateLeader" {
				return i, nil
			}
		}
		if time.Now().After(deadline) {
			return -1, errors.New("no member says it is the leader (GET /v2/stats/self)")
		}
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return -1, ctx.Err()
		}
	}
}

func selfState(ctx context.Context, hc *http.Client, endpoint string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/v2/stats/self", nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var self struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&self); err != nil {
		return "", err
	}
	return self.State, nil
}

func failoverCommand() *cli.Command {
	return &cli.Command{
		Name:  "failover",
		Usage: "kill -9 the leader of a running cluster under a write load; time from the last write acknowledged before the kill to the first acknowledged after",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagEndpoints, Usage: "client URLs of every member, comma-separated", Required: true},
			&cli.StringFlag{Name: "pids", Usage: "the members' pids, comma-separated, in the order of --endpoints", Required: true},
			&cli.IntFlag{Name: flagClients, Value: 32, Usage: "concurrent writers, spread over the members other than the leader"},
			&cli.DurationFlag{Name: "warmup", Value: 2 * time.Second, Usage: "writing before the kill"},
			&cli.DurationFlag{Name: "after", Value: time.Second, Usage: "writing after the first acknowledgement that followed the kill"},
			&cli.DurationFlag{Name: flagTimeout, Value: 5 * time.Second, Usage: "per-request timeout"},
			&cli.DurationFlag{Name: "limit", Value: 30 * time.Second, Usage: "fail when no write is acknowledged this long after the kill"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			eps, err := parseEndpoints(c.String(flagEndpoints))
			if err != nil {
				return err
			}
			var pids []int
			for _, s := range strings.Split(c.String("pids"), ",") {
				pid, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || pid <= 0 {
					return fmt.Errorf("--pids: bad pid %q", s)
				}
				pids = append(pids, pid)
			}
			start := time.Now()
			res, err := runFailover(c.Context, failoverConfig{
				Endpoints: eps, PIDs: pids, Clients: c.Int(flagClients),
				Warmup: c.Duration("warmup"), After: c.Duration("after"),
				Timeout: c.Duration(flagTimeout), Limit: c.Duration("limit"), Progress: c.App.ErrWriter,
			})
			if err != nil {
				return err
			}
			rep := report{
				Scenario:   "failover",
				Endpoints:  eps,
				Clients:    c.Int(flagClients),
				Requests:   res.Requests,
				Errors:     res.Errors,
				FirstError: res.FirstError,
				ElapsedSec: time.Since(start).Seconds(),
				Latency:    summarize(res.Latency),
				Failover: &failoverReport{
					Killed: eps[res.Leader], KilledPID: pids[res.Leader],
					LastBeforeMs: ms(res.LastBefore), FirstAfterMs: ms(res.FirstAfter), GapMs: ms(res.Gap),
					WritesAfter: res.WritesAfter,
				},
			}
			if res.NewLeader >= 0 {
				rep.Failover.NewLeader = eps[res.NewLeader]
			}
			return rep.write(c.App.Writer, c.Bool(flagJSON))
		},
	}
}

// failoverReport adds the leader-kill figures.
type failoverReport struct {
	Killed       string  `json:"killed"`
	KilledPID    int     `json:"killed_pid"`
	NewLeader    string  `json:"new_leader,omitempty"`
	LastBeforeMs float64 `json:"last_ack_before_kill_ms"`   // kill − last acknowledgement before it
	FirstAfterMs float64 `json:"first_ack_after_kill_ms"`   // first acknowledgement of a later write − kill
	GapMs        float64 `json:"recovery_ms"`               // the two together
	WritesAfter  int64   `json:"writes_acknowledged_after"` // writes sent after the kill and acknowledged
}
