package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp(os.Stdout, os.Stderr).RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		stop()
		os.Exit(1)
	}
}

// newApp builds the command line; results go to stdout, progress to stderr.
func newApp(stdout, stderr io.Writer) *cli.App {
	var prof *os.File // the --cpuprofile file while profiling
	return &cli.App{
		Name:      "benchmark",
		Usage:     "load tool for etcd v2 servers (this one and etcd --enable-v2)",
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			putCommand(), getCommand(), mixedCommand(), watchCommand(),
			fillCommand(), restartCommand(), failoverCommand(), readyCommand(), portsCommand(),
		},
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cpuprofile", Usage: "write this tool's CPU profile to the file (to check the tool is not the bottleneck)"},
		},
		Before: func(c *cli.Context) error {
			path := c.String("cpuprofile")
			if path == "" {
				return nil
			}
			f, err := os.Create(path)
			if err != nil {
				return fmt.Errorf("--cpuprofile: %w", err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				f.Close()
				return fmt.Errorf("--cpuprofile: %w", err)
			}
			prof = f
			return nil
		},
		After: func(*cli.Context) error {
			if prof == nil {
				return nil
			}
			pprof.StopCPUProfile()
			return prof.Close()
		},
	}
}
