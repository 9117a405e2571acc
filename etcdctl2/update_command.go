package main

import (
	"github.com/urfave/cli/v2"
)

func newUpdateCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "update",
		Usage:     "update an existing key with a given value",
		ArgsUsage: "<key> <value>",
		Flags:     []cli.Flag{ttlFlag()},
		Action: keysAction(sys, func(c *cli.Context, cl *client, o options) error {
			key, err := keyArg(c)
			if err != nil {
				return err
			}
			value, err := valueArg(c, sys.stdin, 1)
			if err != nil {
				return err
			}
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			// Without --ttl the server makes the key permanent (SPEC 9.4).
			resp, err := cl.set(ctx, key, value, setOptions{ttl: ttlOf(c), prevExist: prevExists})
			if err != nil {
				return commandError(exitServerError, err)
			}
			printResponse(sys.stdout, sys.stderr, resp, o.output)
			return nil
		}),
	}
}
