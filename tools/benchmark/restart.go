package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"syscall"
	"time"
)

var (
	// ErrEndpointBusy reports that something already answers where the server under test
	// should come up, which would make a restart timing meaningless.
	ErrEndpointBusy = errors.New("benchmark: endpoint already serving before start")
	// ErrServerExited reports a server that exited before serving a read.
	ErrServerExited = errors.New("benchmark: server exited before serving")
)

// restartConfig describes the restart scenario: start Cmd (a shell command line that
// starts a server on an existing data dir), time until Endpoint serves Key, stop it.
type restartConfig struct {
	Cmd      string
	Endpoint string
	Key      string
	Rounds   int
	Timeout  time.Duration // bound on start to first served read
	Interval time.Duration // between read attempts
	Log      io.Writer     // server stdout and stderr; nil = discarded
	Progress io.Writer
	Proc     procReader
}

func (c restartConfig) validate() error {
	switch {
	case c.Cmd == "":
		return fmt.Errorf("%w: --cmd is required", ErrBadConfig)
	case c.Endpoint == "":
		return ErrNoEndpoints
	case c.Rounds < 1:
		return fmt.Errorf("%w: --rounds must be at least 1", ErrBadConfig)
	case c.Timeout <= 0 || c.Interval <= 0:
		return fmt.Errorf("%w: --timeout and --interval must be positive", ErrBadConfig)
	case len(c.Key) < 1 || c.Key[0] != '/':
		return fmt.Errorf("%w: --key must start with '/'", ErrBadConfig)
	}
	return nil
}

// restartResult holds one time to first read per round and the server's RSS then.
type restartResult struct {
	Latency *histogram
	Times   []time.Duration // per round
	RSS     []int64         // bytes at first served read, per round (0 when unreadable)
}

// runRestart runs the rounds one after the other; every server it starts is stopped before
// it returns.
func runRestart(ctx context.Context, cfg restartConfig) (restartResult, error) {
	if err := cfg.validate(); err != nil {
		return restartResult{}, err
	}
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	u := cfg.Endpoint + "/v2/keys" + cfg.Key
	res := restartResult{Latency: newHistogram()}
	for round := range cfg.Rounds {
		took, rss, err := restartOnce(ctx, cfg, hc, u)
		if err != nil {
			return restartResult{}, fmt.Errorf("restart round %d: %w", round+1, err)
		}
		res.Latency.Record(took)
		res.Times = append(res.Times, took)
		res.RSS = append(res.RSS, rss)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "restart: round %d/%d  first read after %v\n",
				round+1, cfg.Rounds, took.Round(time.Microsecond))
		}
	}
	return res, nil
}

func restartOnce(ctx context.Context, cfg restartConfig, hc *http.Client, u string) (time.Duration, int64, error) {
	if answers(ctx, hc, cfg.Endpoint+"/version") {
		return 0, 0, fmt.Errorf("%w: %s", ErrEndpointBusy, cfg.Endpoint)
	}
	// exec keeps the pid: the shell becomes the server (or taskset, which execs it too).
	cmd := exec.Command("/bin/sh", "-c", "exec "+cfg.Cmd)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cfg.Log != nil {
		cmd.Stdout, cmd.Stderr = cfg.Log, cfg.Log
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("start %q: %w", cfg.Cmd, err)
	}
	srv := &child{pid: cmd.Process.Pid, donec: make(chan struct{})}
	go func() {
		srv.err = cmd.Wait()
		close(srv.donec)
	}()
	defer srv.stop()

	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if err := pollServed(pctx, hc, u, cfg.Interval, srv.donec); err != nil {
		if srv.exited() {
			return 0, 0, fmt.Errorf("%w: %v", ErrServerExited, srv.err)
		}
		return 0, 0, err
	}
	took := time.Since(t0)
	var rss int64
	if s, err := cfg.Proc.sample(cmd.Process.Pid); err == nil {
		rss = s.RSS
	}
	return took, rss, nil
}

// answers reports whether anything serves HTTP at u.
func answers(ctx context.Context, hc *http.Client, u string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return true
}

// pollServed GETs u every interval until it answers 200, ctx ends, or exited closes
// because the server is gone (nil when there is no process to watch).
func pollServed(ctx context.Context, hc *http.Client, u string, interval time.Duration, exited <-chan struct{}) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var last error
	for {
		last = getOK(ctx, hc, u)
		if last == nil {
			return nil
		}
		select {
		case <-exited:
			return ErrServerExited
		case <-ctx.Done():
			return fmt.Errorf("no served read of %s (last: %v): %w", u, last, ctx.Err())
		case <-tick.C:
		}
	}
}

func getOK(ctx context.Context, hc *http.Client, u string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("build GET %s: %w", u, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: %d %s", ErrStatus, u, resp.StatusCode, bytes200(msg))
	}
	return nil
}

// child is a started server and the outcome of waiting for it.
type child struct {
	pid   int
	donec chan struct{} // closed once Wait returned; err is set before
	err   error
}

func (c *child) exited() bool {
	select {
	case <-c.donec:
		return true
	default:
		return false
	}
}

// stop ends the process group the server leads: SIGTERM, then SIGKILL if it has not
// exited within 15 seconds.
func (c *child) stop() {
	_ = syscall.Kill(-c.pid, syscall.SIGTERM)
	t := time.NewTimer(15 * time.Second)
	defer t.Stop()
	select {
	case <-c.donec:
	case <-t.C:
		_ = syscall.Kill(-c.pid, syscall.SIGKILL)
		<-c.donec
	}
}
