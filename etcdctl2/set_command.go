package main

import (
	"github.com/urfave/cli/v2"
)

func newSetCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "set the value of a key",
		ArgsUsage: "<key> <value>",
		Description: `Set sets the value of a key.

   When <value> begins with '-', <value> is interpreted as a flag.
   Insert '--' for workaround:

   $ set -- <key> <value>`,
		Flags: []cli.Flag{
			ttlFlag(),
			&cli.StringFlag{Name: "swap-with-value", Usage: "previous value"},
			&cli.IntFlag{Name: "swap-with-index", Value: 0, Usage: "previous index"},
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
			resp, err := cl.set(ctx, key, value, setOptions{
				ttl:       ttlOf(c),
				prevValue: c.String("swap-with-value"),
				prevIndex: uint64(c.Int("swap-with-index")),
			})
			if err != nil {
				return commandError(exitServerError, err)
			}
			printResponse(sys.stdout, sys.stderr, resp, o.output)
			return nil
		}),
	}
}
