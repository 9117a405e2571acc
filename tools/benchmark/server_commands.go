package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/urfave/cli/v2"
)

func restartCommand() *cli.Command {
	return &cli.Command{
		Name:  "restart",
		Usage: "start a server on an existing data dir, time its first served read, stop it",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cmd", Usage: `shell command line starting the server, e.g. "etcd --enable-v2=true --data-dir d ..."`},
			&cli.StringFlag{Name: flagEndpoints, Value: "http://127.0.0.1:2379", Usage: "client URL the server will serve (the first is used)"},
			&cli.StringFlag{Name: flagKey, Value: "/bench/0", Usage: "key known to exist in the data dir"},
			&cli.IntFlag{Name: "rounds", Value: 1, Usage: "start/read/stop cycles"},
			&cli.DurationFlag{Name: flagTimeout, Value: 2 * time.Minute, Usage: "bound on start to first served read"},
			&cli.DurationFlag{Name: "interval", Value: 5 * time.Millisecond, Usage: "time between read attempts"},
			&cli.StringFlag{Name: "log", Usage: "append the server's output to this file (default: discard)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			eps, err := parseEndpoints(c.String(flagEndpoints))
			if err != nil {
				return err
			}
			cfg := restartConfig{
				Cmd:      c.String("cmd"),
				Endpoint: eps[0],
				Key:      c.String(flagKey),
				Rounds:   c.Int("rounds"),
				Timeout:  c.Duration(flagTimeout),
				Interval: c.Duration("interval"),
				Progress: c.App.ErrWriter,
				Proc:     procReader{root: procRoot},
			}
			if path := c.String("log"); path != "" {
				f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
				if err != nil {
					return fmt.Errorf("--log: %w", err)
				}
				defer f.Close()
				cfg.Log = f
			}
			start := time.Now()
			res, err := runRestart(c.Context, cfg)
			if err != nil {
				return err
			}
			rep := report{
				Scenario:   "restart",
				Endpoints:  eps[:1],
				Requests:   int64(res.Latency.Count()),
				ElapsedSec: time.Since(start).Seconds(),
				Latency:    summarize(res.Latency),
				Restart:    &restartReport{Rounds: cfg.Rounds, RSSAtRead: res.RSS},
			}
			for _, t := range res.Times {
				rep.Restart.TimesMs = append(rep.Restart.TimesMs, ms(t))
			}
			return rep.write(c.App.Writer, c.Bool(flagJSON))
		},
	}
}

func readyCommand() *cli.Command {
	return &cli.Command{
		Name:  "ready",
		Usage: "wait until every endpoint answers a GET of --key with 200",
		Flags: []cli.Flag{
			endpointsFlag(),
			&cli.StringFlag{Name: flagKey, Value: "/", Usage: "key to read"},
			&cli.DurationFlag{Name: flagTimeout, Value: 30 * time.Second, Usage: "give up after this long"},
			&cli.IntFlag{Name: flagPID, Usage: "server pid: give up as soon as it has exited"},
		},
		Action: func(c *cli.Context) error {
			eps, err := parseEndpoints(c.String(flagEndpoints))
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context, c.Duration(flagTimeout))
			defer cancel()
			tr := newTransport(1)
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			var exited chan struct{}
			if pid := c.Int(flagPID); pid != 0 {
				exited = make(chan struct{})
				stop := watchExit(procReader{root: procRoot}, pid, exited)
				defer stop()
			}
			for _, ep := range eps {
				if err := pollServed(ctx, hc, ep+"/v2/keys"+c.String(flagKey), 20*time.Millisecond, exited); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func portsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ports",
		Usage: "print N free TCP ports on 127.0.0.1, one per line",
		Flags: []cli.Flag{&cli.IntFlag{Name: "count", Value: 1}},
		Action: func(c *cli.Context) error {
			return freePorts(c.App.Writer, c.Int("count"))
		},
	}
}

// freePorts holds n listeners open at once, so the ports differ, and prints their ports.
// Another process may take one before the caller binds it; that risk is accepted.
func freePorts(w io.Writer, n int) error {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		ls = append(ls, l)
		fmt.Fprintln(w, l.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// watchExit closes exitedc once pid is gone, checking every 20 ms, until stop is called.
func watchExit(proc procReader, pid int, exitedc chan<- struct{}) (stop func()) {
	stopc, donec := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(donec)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopc:
				return
			case <-tick.C:
				if !proc.alive(pid) {
					close(exitedc)
					return
				}
			}
		}
	}()
	return func() {
		close(stopc)
		<-donec
	}
}
