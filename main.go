// Command etcd is the etcd2 server: the etcd v2 API over HTTP, replicated with Raft,
// durable through a write-ahead log and snapshots.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// version is this server's version; /version reports it as "etcdserver".
const version = "3.4.23-etcd2.0.1"

// clusterVersion is the cluster version the leader records (/0/version); v2 clients only
// need it to parse.
const clusterVersion = "3.4.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit code. Configuration problems are one line
// on stderr and exit 1.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	app := &cli.App{
		Name:            "etcd",
		Usage:           "the etcd2 server: the etcd v2 API, replicated with Raft",
		UsageText:       "etcd [flags]  (every flag --some-flag is also read from ETCD_SOME_FLAG)\netcd discovery-service [flags]",
		Version:         version,
		Flags:           serverFlags(),
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		Commands:        []*cli.Command{discoveryServiceCommand(environ)},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: %v", errConfig, err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("%w: unexpected argument %q (flags start with --)", errConfig, c.Args().First())
			}
			notices, unknown, err := applyEnv(c, environ)
			if err != nil {
				return fmt.Errorf("%w: %v", errConfig, err)
			}
			cfg, err := parseServerConfig(c)
			if err != nil {
				return err
			}
			lg, err := newLogger(stderr, cfg.LogLevel, cfg.LogFormat, stderrIsTerminal())
			if err != nil {
				return err
			}
			lg.Info().Str("version", version).Str("go_version", runtime.Version()).
				Str("go_os", runtime.GOOS).Str("go_arch", runtime.GOARCH).Msg("starting etcd2")
			for _, n := range notices {
				if n.shadowed {
					lg.Warn().Str("variable", n.variable).Str("flag", n.flag).
						Msg("environment variable shadowed by command-line flag; using the flag")
				} else {
					lg.Info().Str("variable", n.variable).Str("value", n.value).Msg("recognized and used environment variable")
				}
			}
			for _, k := range unknown {
				lg.Warn().Str("variable", k).Msg("unrecognized environment variable")
			}
			for _, f := range unusedFlagWarnings(c) {
				lg.Warn().Str("flag", f).Msg("ignoring etcd v3 flag that has no meaning for a v2 server")
			}
			// A failure is returned, not logged: it ends as the one plain line below.
			return serveOrFallBack(ctx, cfg, lg)
		},
	}
	// The flag package accepts -name as well as --name, which scripts and client test
	// suites rely on.
	if err := app.RunContext(ctx, args); err != nil {
		msg := strings.TrimPrefix(err.Error(), errConfig.Error()+": ")
		fmt.Fprintln(stderr, "etcd: "+msg)
		return 1
	}
	return 0
}
