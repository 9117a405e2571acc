package main

import (
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"
)

// Flag names used by more than one command.
const (
	flagEndpoints = "endpoints"
	flagClients   = "clients"
	flagConns     = "conns"
	flagTotal     = "total"
	flagDuration  = "duration"
	flagKeySpace  = "key-space"
	flagKeyPrefix = "key-prefix"
	flagValSize   = "val-size"
	flagRatio     = "ratio"
	flagQuorum    = "quorum"
	flagPrefill   = "prefill"
	flagPID       = "pid"
	flagJSON      = "json"
	flagTimeout   = "timeout"
	flagKey       = "key"
)

// defaultDuration bounds a run given neither --total nor --duration.
const defaultDuration = 10 * time.Second

// procRoot is where --pid is looked up.
const procRoot = "/proc"

func endpointsFlag() cli.Flag {
	return &cli.StringFlag{Name: flagEndpoints, Value: "http://127.0.0.1:2379",
		Usage: "comma-separated client URLs; each client walks them round-robin"}
}

func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: flagJSON, Usage: "print the result as one JSON object"}
}

func pidFlag() cli.Flag {
	return &cli.IntFlag{Name: flagPID, Usage: "server pid: report its CPU time per request and RSS from /proc"}
}

// loadFlags are the flags of the closed-loop scenarios (put, get, mixed).
func loadFlags(valSize int) []cli.Flag {
	return []cli.Flag{
		endpointsFlag(),
		&cli.IntFlag{Name: flagClients, Value: 1, Usage: "concurrent clients, each with one request in flight"},
		&cli.IntFlag{Name: flagConns, Usage: "keep-alive connections per endpoint shared by all clients (0 = one per client)"},
		&cli.Int64Flag{Name: flagTotal, Usage: "stop after this many requests"},
		&cli.DurationFlag{Name: flagDuration, Usage: "stop after this long (10s when neither --total nor --duration is given)"},
		&cli.Int64Flag{Name: flagKeySpace, Value: 1, Usage: "1 = one key, N = distinct keys <key-prefix>0..N-1 taken in turn"},
		&cli.StringFlag{Name: flagKeyPrefix, Value: "/bench/", Usage: "prefix of the keys"},
		&cli.IntFlag{Name: flagValSize, Value: valSize, Usage: "value size in bytes"},
		&cli.DurationFlag{Name: flagTimeout, Value: 10 * time.Second, Usage: "per-request timeout"},
		pidFlag(),
		jsonFlag(),
	}
}

func readFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: flagQuorum, Usage: "GET with quorum=true"},
		&cli.BoolFlag{Name: flagPrefill, Value: true, Usage: "write every key once before measuring"},
	}
}

// loadConfigFrom reads the load flags; readRatio is the scenario's GET fraction.
func loadConfigFrom(c *cli.Context, label string, readRatio float64) (loadConfig, error) {
	eps, err := parseEndpoints(c.String(flagEndpoints))
	if err != nil {
		return loadConfig{}, err
	}
	cfg := loadConfig{
		Endpoints: eps,
		Clients:   c.Int(flagClients),
		Conns:     c.Int(flagConns),
		Total:     c.Int64(flagTotal),
		Duration:  c.Duration(flagDuration),
		KeySpace:  c.Int64(flagKeySpace),
		KeyPrefix: c.String(flagKeyPrefix),
		ValSize:   c.Int(flagValSize),
		ReadRatio: readRatio,
		Quorum:    c.Bool(flagQuorum),
		Timeout:   c.Duration(flagTimeout),
		Progress:  c.App.ErrWriter,
		Label:     label,
	}
	if cfg.Total <= 0 && cfg.Duration <= 0 {
		cfg.Duration = defaultDuration
	}
	return cfg, cfg.validate()
}

// probe samples this tool and, when --pid is given, the server around a run.
type probe struct {
	pid        int // 0 = no server to sample
	proc       procReader
	start      time.Time
	server     procSample
	self       procSample
	selfFailed bool // no /proc for this process: the tool's own figures are left out
}

func startProbe(pid int) (*probe, error) {
	p := &probe{pid: pid, proc: procReader{root: procRoot}}
	if pid != 0 {
		s, err := p.proc.sample(pid)
		if err != nil {
			return nil, fmt.Errorf("--pid: %w", err)
		}
		p.server = s
	}
	s, err := p.proc.sample(os.Getpid())
	p.self, p.selfFailed = s, err != nil
	p.start = time.Now()
	return p, nil
}

// finish samples again and reports usage over n requests; either report is nil when it
// could not be sampled.
func (p *probe) finish(n int64) (server, client *procReport, err error) {
	wall := time.Since(p.start)
	if p.pid != 0 {
		after, err := p.proc.sample(p.pid)
		if err != nil {
			return nil, nil, fmt.Errorf("--pid: %w", err)
		}
		server = usage(p.pid, p.server, after, n, wall)
	}
	if !p.selfFailed {
		if after, err := p.proc.sample(os.Getpid()); err == nil {
			client = usage(os.Getpid(), p.self, after, n, wall)
		}
	}
	return server, client, nil
}

// runLoadCommand is the body of put, get and mixed.
func runLoadCommand(c *cli.Context, scenario string, readRatio float64, prefill bool) error {
	cfg, err := loadConfigFrom(c, scenario, readRatio)
	if err != nil {
		return err
	}
	if prefill {
		pre := cfg
		pre.Label, pre.ReadRatio, pre.Total, pre.Duration = "prefill", 0, cfg.KeySpace, 0
		res, err := runLoad(c.Context, pre)
		if err != nil {
			return fmt.Errorf("prefill: %w", err)
		}
		if res.Errors > 0 {
			return fmt.Errorf("prefill: %d of %d writes failed, first: %s", res.Errors, res.Requests, res.FirstError)
		}
	}
	rep, _, err := measureLoad(c, scenario, cfg)
	if err != nil {
		return err
	}
	return rep.write(c.App.Writer, c.Bool(flagJSON))
}

// measureLoad runs cfg with the processes sampled around it and reports the run.
func measureLoad(c *cli.Context, scenario string, cfg loadConfig) (report, loadResult, error) {
	p, err := startProbe(c.Int(flagPID))
	if err != nil {
		return report{}, loadResult{}, err
	}
	res, err := runLoad(c.Context, cfg)
	if err != nil {
		return report{}, loadResult{}, err
	}
	rep := loadReport(scenario, cfg, res)
	if rep.Server, rep.Client, err = p.finish(res.Requests); err != nil {
		return report{}, loadResult{}, err
	}
	return rep, res, nil
}

func putCommand() *cli.Command {
	return &cli.Command{
		Name:  "put",
		Usage: "PUT values to one key or to distinct keys",
		Flags: loadFlags(64),
		Action: func(c *cli.Context) error {
			return runLoadCommand(c, "put", 0, false)
		},
	}
}

func getCommand() *cli.Command {
	return &cli.Command{
		Name:  "get",
		Usage: "GET one key or distinct keys",
		Flags: append(loadFlags(64), readFlags()...),
		Action: func(c *cli.Context) error {
			return runLoadCommand(c, "get", 1, c.Bool(flagPrefill))
		},
	}
}

func mixedCommand() *cli.Command {
	return &cli.Command{
		Name:  "mixed",
		Usage: "GETs and PUTs mixed at random in the proportion --ratio",
		Flags: append(loadFlags(64), append(readFlags(),
			&cli.Float64Flag{Name: flagRatio, Value: 0.9, Usage: "fraction of requests that are GETs"})...),
		Action: func(c *cli.Context) error {
			return runLoadCommand(c, "mixed", c.Float64(flagRatio), c.Bool(flagPrefill))
		},
	}
}
