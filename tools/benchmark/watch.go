package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	// Each watcher keeps its own connection across rounds, dialed when first needed.
	watchers := make([]*watcher, cfg.Watchers)
	for i := range watchers {
		watchers[i] = &watcher{hostport: strings.TrimPrefix(cfg.Endpoints[i%len(cfg.Endpoints)], "http://")}
	}
	writerPools := newPools(cfg.Endpoints, 1)
	defer func() {
		for _, w := range watchers {
			w.drop()
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
		n, fanout := watchRound(ctx, cfg, round, watchers, writer, &res, &errs)
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
func watchRound(ctx context.Context, cfg watchConfig, round int, watchers []*watcher,
	writer *v2Client, res *watchResult, errs *errorTally) (int, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	value := roundValue(round, cfg.ValSize)
	registered := make(chan error, len(watchers))
	delivered := make(chan delivery, len(watchers))
	var wg sync.WaitGroup
	defer func() {
		// Every watcher ends by the round's deadline; waiting before cancel keeps a
		// cancellation from touching a connection the next round uses.
		wg.Wait()
		cancel()
	}()
	req := "GET /v2/keys" + cfg.Key + "?wait=true HTTP/1.1\r\nHost: "
	for _, w := range watchers {
		wg.Go(func() { w.watchOnce(ctx, req, cfg.Key, value, registered, delivered) })
	}
	// Every watcher reports its registration exactly once, and a registered one later
	// reports its delivery exactly once.
	live := 0
	for range watchers {
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
	if got == len(watchers) {
		res.Fanout.Record(fanout)
	}
	return got, fanout
}

// watcher is one long-polling client with its own connection.
type watcher struct {
	hostport string
	conn     *httpConn // nil until dialed, and after a failure
}

func (w *watcher) drop() {
	if w.conn != nil {
		w.conn.close()
		w.conn = nil
	}
}

// watchOnce long-polls the key; req is the request up to its Host header's value. The
// response's headers mean the server has registered the watch (etcd flushes them before
// waiting, SPEC 3); its body is the event.
func (w *watcher) watchOnce(ctx context.Context, req, key, value string,
	registered chan<- error, delivered chan<- delivery) {
	if w.conn == nil {
		c, err := dialHTTP(ctx, w.hostport)
		if err != nil {
			registered <- fmt.Errorf("watch: %w", err)
			return
		}
		w.conn = c
	}
	reusable := false
	// The round's deadline bounds every read; its cancellation interrupts them.
	deadline, _ := ctx.Deadline()
	c := w.conn
	interrupt := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !interrupt() || !reusable {
			w.drop() // the interruption may still be under way: do not reuse
		}
	}()
	if err := c.conn.SetDeadline(deadline); err != nil {
		registered <- fmt.Errorf("watch: %w", err)
		return
	}
	if _, err := io.WriteString(w.conn.conn, req+w.hostport+"\r\n\r\n"); err != nil {
		registered <- fmt.Errorf("watch on %s: write: %w", w.hostport, err)
		return
	}
	h, err := c.readHead()
	if err != nil {
		registered <- fmt.Errorf("watch on %s: %w", w.hostport, err)
		return
	}
	if h.Status != 200 || h.EtcdIndex == "" {
		body, _ := c.readBody(&h, true)
		registered <- fmt.Errorf("%w: watch on %s: %d (X-Etcd-Index %q) %s", ErrStatus, w.hostport,
			h.Status, h.EtcdIndex, bytes200(body))
		return
	}
	registered <- nil
	body, err := c.readBody(&h, true)
	at := time.Now()
	if err != nil {
		delivered <- delivery{err: fmt.Errorf("watch on %s: %w", w.hostport, err)}
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
		delivered <- delivery{err: fmt.Errorf("watch on %s: decode event %s: %w", w.hostport, bytes200(body), err)}
		return
	}
	if ev.Node.Key != key || ev.Node.Value != value {
		delivered <- delivery{err: fmt.Errorf("watch on %s: got %s %q=%q, want the round's set", w.hostport,
			ev.Action, ev.Node.Key, bytes200([]byte(ev.Node.Value)))}
		return
	}
	reusable = !h.Close
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
