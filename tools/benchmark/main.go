package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	return &cli.App{
		Name:      "benchmark",
		Usage:     "load tool for etcd v2 servers (this one and etcd --enable-v2)",
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			putCommand(), getCommand(), mixedCommand(), watchCommand(),
			fillCommand(), restartCommand(), readyCommand(), portsCommand(),
		},
		HideHelpCommand: true,
	}
}
