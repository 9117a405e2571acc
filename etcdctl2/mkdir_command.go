package main

import (
	"github.com/urfave/cli/v2"
)

func newMkdirCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "mkdir",
		Usage:     "make a new directory",
		ArgsUsage: "<key>",
		Flags:     []cli.Flag{ttlFlag()},
		Action:    keysAction(sys, dirAction(sys, prevNoExist)),
	}
}

// dirAction writes a directory under the prevExist condition of mkdir (must not exist),
// setdir (either) or updatedir (must exist). The simple format prints nothing.
func dirAction(sys *system, cond prevExist) func(*cli.Context, *client, options) error {
	return func(c *cli.Context, cl *client, o options) error {
		key, err := keyArg(c)
		if err != nil {
			return err
		}
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		resp, err := cl.set(ctx, key, "", setOptions{ttl: ttlOf(c), dir: true, prevExist: cond})
		if err != nil {
			return commandError(exitServerError, err)
		}
		if o.output != formatSimple {
			printResponse(sys.stdout, sys.stderr, resp, o.output)
		}
		return nil
	}
}
