package main

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"

	"github.com/urfave/cli/v2"
)

func main() {
	// Help is rendered by help.go with urfave/cli v1's layout; v2's own help flag would
	// intercept --help before our commands see it. This is process configuration of
	// the library, done once before anything runs.
	cli.HelpFlag = nil

	sys := &system{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		environ:   os.Environ,
		lookupSRV: net.DefaultResolver.LookupSRV,
		interruptible: func(ctx context.Context) (context.Context, context.CancelFunc) {
			return signal.NotifyContext(ctx, os.Interrupt)
		},
		rand: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	sys.readPassword = func(prompt string) (string, error) {
		return readPassword(os.Stdin, sys.stdout, prompt)
	}
	os.Exit(run(context.Background(), sys, os.Args))
}
