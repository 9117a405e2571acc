package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
)

// watchConfig describes the fan-out scenario: Watchers long polls on Key, each over its own
// connection, then one PUT, repeated Rounds times.
type watchConfig struct {
	Endpoints []string
	Watchers  int
	Rounds    int
	Key       string
	ValSize   int
	Timeout   time.Duration // bound on one round: registration, PUT and every delivery
	Progress  io.Writer
}

func (c watchConfig) validate() error {
	switch {
	case len(c.Endpoints) == 0:
		return ErrNoEndpoints
	case c.Watchers < 1:
		return fmt.Errorf("%w: --watchers must be at least 1", ErrBadConfig)
	case c.Rounds < 1:
		return fmt.Errorf("%w: --rounds must be at least 1", ErrBadConfig)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: --timeout must be positive", ErrBadConfig)
	case len(c.Key) < 2 || c.Key[0] != '/':
		return fmt.Errorf("%w: --key must start with '/'", ErrBadConfig)
	}
	return nil
}

// watchResult is what the fan-out scenario measured.
type watchResult struct {
	Events     int64 // deliveries received and checked
	Errors     int64 // watchers that failed to register or to receive their event
	FirstError string
	Elapsed    time.Duration
	Latency    *histogram // per watcher: PUT sent → its event fully received
	Fanout     *histogram // per complete round: PUT sent → the last watcher's event received
	Put        *histogram // the PUT's own latency
}

// delivery is one watcher's outcome for a round.
type delivery struct {
	at  time.Time
	err error
}

// runWatch runs the fan-out rounds.
func runWatch(ctx context.Context, cfg watchConfig) (watchResult, error) {
	if err := cfg.validate(); err != nil {
		return watchResult{}, err
	}
	// Each watcher keeps its own transport, hence its own connection, across rounds.
	clients := make([]*http.Client, cfg.Watchers)
	transports := make([]*http.Transport, cfg.Watchers)
	for i := range transports {
		transports[i] = newTransport(1)
		clients[i] = &http.Client{Transport: transports[i]}
	}
	writerPools := newPools(cfg.Endpoints, 1)
	defer func() {
		for _, t := range transports {
			t.CloseIdleConnections()
		}
		for _, p := range writerPools {
			p.closeAll()
		}
	}()
	writer := newV2Client(writerPools, 0, false, cfg.Timeout)

	res := watchResult{Latency: newHistogram(), Fanout: newHistogram(), Put: newHistogram()}
	var errs errorTally
	start := time.Now()
	for round := range cfg.Rounds {
		if err := ctx.Err(); err != nil {
			return watchResult{}, fmt.Errorf("watch round %d: %w", round, err)
		}
		n, fanout := watchRound(ctx, cfg, round, clients, writer, &res, &errs)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "watch: round %d/%d  %d/%d events  last after %v\n",
				round+1, cfg.Rounds, n, cfg.Watchers, fanout.Round(time.Microsecond))
		}
	}
	res.Elapsed = time.Since(start)
	res.Errors = errs.n.Load()
	res.FirstError = errs.firstError()
	return res, nil
}

// watchRound registers every watcher, sends one PUT once all are registered and collects
// the deliveries. It returns how many watchers got the event and when the last one did,
// counted from the PUT.
func watchRound(ctx context.Context, cfg watchConfig, round int, clients []*http.Client,
	writer *v2Client, res *watchResult, errs *errorTally) (int, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	value := roundValue(round, cfg.ValSize)
	registered := make(chan error, len(clients))
	delivered := make(chan delivery, len(clients))
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for i, hc := range clients {
		u := cfg.Endpoints[i%len(cfg.Endpoints)] + "/v2/keys" + cfg.Key + "?wait=true"
		wg.Go(func() { watchOnce(ctx, hc, u, cfg.Key, value, registered, delivered) })
	}
	// Every watcher reports its registration exactly once (the round's deadline ends a hung
	// request), and a registered one later reports its delivery exactly once.
	live := 0
	for range clients {
		if err := <-registered; err != nil {
			errs.add(err)
			continue
		}
		live++
	}
	if live == 0 {
		return 0, 0
	}
	t0 := time.Now()
	if err := writer.put(ctx, cfg.Key, value); err != nil {
		errs.add(fmt.Errorf("watch round %d put: %w", round, err))
	} else {
		res.Put.Record(time.Since(t0))
	}
	got := 0
	var last time.Time
	for range live {
		d := <-delivered
		if d.err != nil {
			errs.add(d.err)
			continue
		}
		got++
		res.Latency.Record(d.at.Sub(t0))
		if d.at.After(last) {
			last = d.at
		}
	}
	res.Events += int64(got)
	if got == 0 {
		return 0, 0
	}
	fanout := last.Sub(t0)
	if got == len(clients) {
		res.Fanout.Record(fanout)
	}
	return got, fanout
}

// watchOnce long-polls u. Response headers mean the server has registered the watch (etcd
// flushes them before waiting, SPEC 3); the body is the event.
func watchOnce(ctx context.Context, hc *http.Client, u, key, value string,
	registered chan<- error, delivered chan<- delivery) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		registered <- fmt.Errorf("build watch: %w", err)
		return
	}
	resp, err := hc.Do(req)
	if err != nil {
		registered <- fmt.Errorf("watch %s: %w", u, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Etcd-Index") == "" {
		msg, _ := io.ReadAll(resp.Body)
		registered <- fmt.Errorf("%w: watch %s: %d (X-Etcd-Index %q) %s", ErrStatus, u,
			resp.StatusCode, resp.Header.Get("X-Etcd-Index"), bytes200(msg))
		return
	}
	registered <- nil
	body, err := io.ReadAll(resp.Body)
	at := time.Now()
	if err != nil {
		delivered <- delivery{err: fmt.Errorf("watch %s: read event: %w", u, err)}
		return
	}
	var ev struct {
		Action string `json:"action"`
		Node   struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"node"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		delivered <- delivery{err: fmt.Errorf("watch %s: decode event %s: %w", u, bytes200(body), err)}
		return
	}
	if ev.Node.Key != key || ev.Node.Value != value {
		delivered <- delivery{err: fmt.Errorf("watch %s: got %s %q=%q, want the round's set", u,
			ev.Action, ev.Node.Key, bytes200([]byte(ev.Node.Value)))}
		return
	}
	delivered <- delivery{at: at}
}

// roundValue is a value of size bytes (at least the round number) unique to the round, so
// a delivery from another round is caught.
func roundValue(round, size int) string {
	prefix := strconv.Itoa(round) + "-"
	if len(prefix) >= size {
		return prefix
	}
	return prefix + makeValue(size-len(prefix))
}

func watchCommand() *cli.Command {
	return &cli.Command{
		Name:  "watch",
		Usage: "W long-poll watchers on one key, one PUT, time until each watcher got it; R rounds",
		Flags: []cli.Flag{
			endpointsFlag(),
			&cli.IntFlag{Name: "watchers", Value: 100, Usage: "watchers, each over its own connection"},
			&cli.IntFlag{Name: "rounds", Value: 10, Usage: "rounds of register, PUT, deliver"},
			&cli.StringFlag{Name: flagKey, Value: "/bench/watch", Usage: "key watched and written"},
			&cli.IntFlag{Name: flagValSize, Value: 64, Usage: "value size in bytes"},
			&cli.DurationFlag{Name: flagTimeout, Value: 60 * time.Second, Usage: "bound on one round"},
			pidFlag(),
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			eps, err := parseEndpoints(c.String(flagEndpoints))
			if err != nil {
				return err
			}
			cfg := watchConfig{
				Endpoints: eps,
				Watchers:  c.Int("watchers"),
				Rounds:    c.Int("rounds"),
				Key:       c.String(flagKey),
				ValSize:   c.Int(flagValSize),
				Timeout:   c.Duration(flagTimeout),
				Progress:  c.App.ErrWriter,
			}
			p, err := startProbe(c.Int(flagPID))
			if err != nil {
				return err
			}
			res, err := runWatch(c.Context, cfg)
			if err != nil {
				return err
			}
			rep := report{
				Scenario:   "watch",
				Endpoints:  eps,
				Requests:   res.Events,
				Errors:     res.Errors,
				FirstError: res.FirstError,
				ElapsedSec: res.Elapsed.Seconds(),
				Latency:    summarize(res.Latency),
				Watch: &watchReport{
					Watchers: cfg.Watchers,
					Rounds:   cfg.Rounds,
					Fanout:   summarize(res.Fanout),
					Put:      summarize(res.Put),
				},
			}
			if rep.Server, rep.Client, err = p.finish(res.Events); err != nil {
				return err
			}
			return rep.write(c.App.Writer, c.Bool(flagJSON))
		},
	}
}
