package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v2"

	"github.com/etcd2/etcd2/discovery/service"
)

// Flags of `etcd discovery-service`; each is also read from DISC_<FLAG>, as the original
// service reads its settings.
const (
	flagDiscAddr      = "addr"
	flagDiscHost      = "host"
	flagDiscEtcd      = "etcd"
	flagDiscTokenTTL  = "token-ttl"
	flagDiscLogLevel  = "log-level"
	flagDiscLogFormat = "log-format"
)

// discEnvName maps a flag to its variable: token-ttl → DISC_TOKEN_TTL.
func discEnvName(flag string) string {
	return "DISC_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// discoveryServiceCommand runs a discovery.etcd.io-compatible service (SPEC §7.2) in
// front of a keys API: `etcd discovery-service --addr :8087 --host https://disc.example
// --etcd http://127.0.0.1:2379`.
func discoveryServiceCommand(environ []string) *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: flagDiscAddr, Value: ":8087", Usage: "web service address"},
		&cli.StringFlag{Name: flagDiscHost, Value: "https://discovery.etcd.io", Usage: "discovery url prefix: the public base URL of the tokens"},
		&cli.StringFlag{Name: flagDiscEtcd, Value: "http://127.0.0.1:2379", Usage: "etcd endpoint location (a v2 keys API)"},
		&cli.DurationFlag{Name: flagDiscTokenTTL, Value: 168 * time.Hour, Usage: "tokens whose size members have not all registered within this time expire (0: never)"},
		&cli.StringFlag{Name: flagDiscLogLevel, Value: "info", Usage: "log level: debug, info, warn, error"},
		&cli.StringFlag{Name: flagDiscLogFormat, Value: "auto", Usage: "log format: json, console, or auto"},
	}
	for _, f := range flags {
		env := " [$" + discEnvName(f.Names()[0]) + "]"
		switch v := f.(type) {
		case *cli.StringFlag:
			v.Usage += env
		case *cli.DurationFlag:
			v.Usage += env
		}
	}
	return &cli.Command{
		Name:      "discovery-service",
		Usage:     "run a discovery.etcd.io-compatible service backed by a keys API",
		UsageText: "etcd discovery-service [--addr :8087] [--host https://disc.example] [--etcd http://127.0.0.1:2379]",
		Flags:     flags,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: discovery-service: %v", errConfig, err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("%w: discovery-service: unexpected argument %q", errConfig, c.Args().First())
			}
			for _, kv := range environ {
				k, v, _ := strings.Cut(kv, "=")
				for _, f := range flags {
					name := f.Names()[0]
					if k == discEnvName(name) && !c.IsSet(name) {
						if err := c.Set(name, v); err != nil {
							return fmt.Errorf("%w: discovery-service: invalid value %q for %s: %v", errConfig, v, k, err)
						}
					}
				}
			}
			return runDiscoveryService(c)
		},
	}
}

// runDiscoveryService serves until the process is signalled.
func runDiscoveryService(c *cli.Context) error {
	lg, err := newLogger(c.App.ErrWriter, c.String(flagDiscLogLevel), c.String(flagDiscLogFormat), stderrIsTerminal())
	if err != nil {
		return err
	}
	if c.Duration(flagDiscTokenTTL) < 0 {
		return fmt.Errorf("%w: discovery-service: --%s must not be negative", errConfig, flagDiscTokenTTL)
	}
	for _, f := range []string{flagDiscEtcd, flagDiscHost} {
		if _, err := service.HostOnlyURL(c.String(f)); err != nil {
			return fmt.Errorf("%w: discovery-service: --%s: %v", errConfig, f, err)
		}
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc, err := service.New(service.Config{
		Backend:  c.String(flagDiscEtcd),
		Host:     c.String(flagDiscHost),
		TokenTTL: c.Duration(flagDiscTokenTTL),
		Logger:   lg,
		Registry: registry,
	})
	if err != nil {
		return fmt.Errorf("%w: discovery-service: %v", errConfig, err)
	}
	ln, err := net.Listen("tcp", c.String(flagDiscAddr))
	if err != nil {
		return fmt.Errorf("discovery-service: cannot listen on %s: %w", c.String(flagDiscAddr), err)
	}
	srv := &http.Server{Handler: svc, ReadHeaderTimeout: 30 * time.Second, ErrorLog: httpErrorLog(lg)}
	lg.Info().Str("etcd", c.String(flagDiscEtcd)).Str("host", c.String(flagDiscHost)).
		Str("address", ln.Addr().String()).Dur("token_ttl", c.Duration(flagDiscTokenTTL)).
		Msg("discovery service started")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("discovery-service: %w", err)
	case <-c.Context.Done():
	}
	lg.Info().Msg("received signal; shutting down")
	// Token requests are short; proxied watches are not and would hold Shutdown up:
	// after a moment what remains is closed (discovery clients watch again).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	srv.Close()
	<-errc
	lg.Info().Msg("stopped")
	return nil
}
