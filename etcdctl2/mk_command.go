package main

import (
	"github.com/urfave/cli/v2"
)

func newMkCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "mk",
		Usage:     "make a new key with a given value",
		ArgsUsage: "<key> <value>",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "in-order", Usage: "create in-order key under directory <key>"},
			ttlFlag(),
		},
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
			var resp *keysResponse
			if c.Bool("in-order") {
				// The key is the directory that receives the new in-order key.
				resp, err = cl.createInOrder(ctx, key, value, ttlOf(c))
			} else {
				resp, err = cl.set(ctx, key, value, setOptions{ttl: ttlOf(c), prevExist: prevNoExist})
			}
			if err != nil {
				return commandError(exitServerError, err)
			}
			printResponse(sys.stdout, sys.stderr, resp, o.output)
			return nil
		}),
	}
}
