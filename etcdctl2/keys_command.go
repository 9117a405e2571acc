package main

import (
	"errors"
	"io"
	"time"

	"github.com/urfave/cli/v2"
)

// Argument errors of the key commands (SPEC 9.3).
var (
	errKeyRequired   = errors.New("key required")
	errValueRequired = errors.New("value required")
)

// keysAction connects (syncing the endpoints) and then runs fn. The client comes first,
// as in the reference: an unreachable cluster is reported before a missing argument.
func keysAction(sys *system, fn func(c *cli.Context, cl *client, o options) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		cl, err := connect(c, sys)
		if err != nil {
			return err
		}
		return fn(c, cl, readOptions(c))
	}
}

// keyArg is the first argument.
func keyArg(c *cli.Context) (string, error) {
	if c.NArg() == 0 {
		return "", commandError(exitBadArgs, errKeyRequired)
	}
	return c.Args().First(), nil
}

// valueArg is the argument at i or, when there is none, everything on stdin (line
// breaks included); nothing at all is an error.
func valueArg(c *cli.Context, stdin io.Reader, i int) (string, error) {
	if i < c.NArg() {
		return c.Args().Get(i), nil
	}
	b, err := io.ReadAll(stdin)
	if err != nil || len(b) == 0 {
		return "", commandError(exitBadArgs, errValueRequired)
	}
	return string(b), nil
}

// ttlFlag is the --ttl option of the commands that write; zero or less sends no TTL.
func ttlFlag() cli.Flag {
	return &cli.IntFlag{Name: "ttl", Value: 0, Usage: "key time-to-live in seconds"}
}

func ttlOf(c *cli.Context) time.Duration {
	return time.Duration(c.Int("ttl")) * time.Second
}
