package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrBadConfig reports flag values a scenario cannot run with.
var ErrBadConfig = errors.New("benchmark: bad configuration")

// loadConfig describes one closed-loop run: Clients goroutines, each sending its next
// request as soon as the previous one is answered.
type loadConfig struct {
	Endpoints []string
	Clients   int
	Conns     int           // connections per endpoint shared by all clients; 0 = one per client
	Total     int64         // stop after this many requests; 0 = no count limit
	Duration  time.Duration // stop sending after this long; 0 = no time limit
	KeySpace  int64         // keys KeyPrefix0 … KeyPrefix<KeySpace-1>, taken in turn
	KeyPrefix string
	ValSize   int
	ReadRatio float64 // fraction of requests that are GETs; the rest are PUTs
	Quorum    bool    // GET with quorum=true
	Timeout   time.Duration
	Progress  io.Writer // once-a-second progress lines; nil = none
	Label     string    // names the run in progress lines
}

func (c loadConfig) validate() error {
	switch {
	case len(c.Endpoints) == 0:
		return ErrNoEndpoints
	case c.Clients < 1:
		return fmt.Errorf("%w: --clients must be at least 1", ErrBadConfig)
	case c.Conns < 0:
		return fmt.Errorf("%w: --conns must not be negative", ErrBadConfig)
	case c.Total <= 0 && c.Duration <= 0:
		return fmt.Errorf("%w: give --total or --duration", ErrBadConfig)
	case c.KeySpace < 1:
		return fmt.Errorf("%w: --key-space must be at least 1", ErrBadConfig)
	case c.ValSize < 0:
		return fmt.Errorf("%w: --val-size must not be negative", ErrBadConfig)
	case c.ReadRatio < 0 || c.ReadRatio > 1:
		return fmt.Errorf("%w: --ratio must be within [0, 1]", ErrBadConfig)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: --timeout must be positive", ErrBadConfig)
	}
	return nil
}

// loadResult is what a run measured. Latencies are of successful requests only.
type loadResult struct {
	Requests   int64 // answered or failed
	Errors     int64
	FirstError string
	Elapsed    time.Duration
	All        *histogram
	Get        *histogram
	Put        *histogram
}

// errorTally counts failures and keeps the first one's text for the report.
type errorTally struct {
	n     atomic.Int64
	mu    sync.Mutex
	first string
}

func (e *errorTally) add(err error) {
	if e.n.Add(1) == 1 {
		e.mu.Lock()
		e.first = err.Error()
		e.mu.Unlock()
	}
}

func (e *errorTally) firstError() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.first
}

// runLoad runs cfg until its count or time limit, or until ctx ends. Requests already in
// flight when the time limit passes are waited for and counted.
func runLoad(ctx context.Context, cfg loadConfig) (loadResult, error) {
	if err := cfg.validate(); err != nil {
		return loadResult{}, err
	}
	// Per endpoint, either each client owns one connection, or all clients share --conns
	// connections and queue for them.
	var shared []*connPool
	owned := make([][]*connPool, cfg.Clients)
	if cfg.Conns > 0 && cfg.Conns < cfg.Clients {
		shared = newPools(cfg.Endpoints, cfg.Conns)
	}
	for c := range owned {
		owned[c] = shared
		if shared == nil {
			owned[c] = newPools(cfg.Endpoints, 1)
		}
	}
	defer func() {
		for _, p := range shared {
			p.closeAll()
		}
		if shared == nil {
			for _, pools := range owned {
				for _, p := range pools {
					p.closeAll()
				}
			}
		}
	}()

	var deadline time.Time
	start := time.Now()
	if cfg.Duration > 0 {
		deadline = start.Add(cfg.Duration)
	}
	value := makeValue(cfg.ValSize)
	var claimed, done atomic.Int64
	var errs errorTally
	// next hands out request numbers; false means stop.
	next := func() (int64, bool) {
		if ctx.Err() != nil || (!deadline.IsZero() && !time.Now().Before(deadline)) {
			return 0, false
		}
		n := claimed.Add(1) - 1
		if cfg.Total > 0 && n >= cfg.Total {
			return 0, false
		}
		return n, true
	}

	stopProgress := startProgress(cfg.Progress, cfg.Label, start, &done, &errs.n)
	gets, puts := make([]*histogram, cfg.Clients), make([]*histogram, cfg.Clients)
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		gets[c], puts[c] = newHistogram(), newHistogram()
		cl := newV2Client(owned[c], c, cfg.Quorum, cfg.Timeout)
		rng := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
		wg.Go(func() {
			for {
				n, ok := next()
				if !ok {
					return
				}
				key := cfg.KeyPrefix + strconv.FormatInt(n%cfg.KeySpace, 10)
				read := cfg.ReadRatio > 0 && rng.Float64() < cfg.ReadRatio
				t0 := time.Now()
				var err error
				if read {
					err = cl.get(ctx, key)
				} else {
					err = cl.put(ctx, key, value)
				}
				took := time.Since(t0)
				done.Add(1)
				switch {
				case err != nil:
					errs.add(err)
				case read:
					gets[c].Record(took)
				default:
					puts[c].Record(took)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	res := loadResult{
		Requests:   done.Load(),
		Errors:     errs.n.Load(),
		FirstError: errs.firstError(),
		Elapsed:    elapsed,
		All:        newHistogram(),
		Get:        newHistogram(),
		Put:        newHistogram(),
	}
	for c := range cfg.Clients {
		res.Get.Merge(gets[c])
		res.Put.Merge(puts[c])
	}
	res.All.Merge(res.Get)
	res.All.Merge(res.Put)
	return res, nil
}

// startProgress prints one line a second to w until the returned function is called,
// which waits for the printer to finish.
func startProgress(w io.Writer, label string, start time.Time, done, errs *atomic.Int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	stopc, donec := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(donec)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-stopc:
				return
			case <-tick.C:
				n := done.Load()
				fmt.Fprintf(w, "%s: %4.0fs  %d requests  %d/s  %d errors\n",
					label, time.Since(start).Seconds(), n, n-last, errs.Load())
				last = n
			}
		}
	}()
	return func() {
		close(stopc)
		<-donec
	}
}
