package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func newGetCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "get",
		Usage:     "retrieve the value of a key",
		ArgsUsage: "<key>",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "sort", Usage: "returns result in sorted order"},
			&cli.BoolFlag{Name: "quorum", Aliases: []string{"q"}, Usage: "require quorum for get request"},
		},
		Action: keysAction(sys, func(c *cli.Context, cl *client, o options) error {
			key, err := keyArg(c)
			if err != nil {
				return err
			}
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			resp, err := cl.get(ctx, key, false, c.Bool("sort"), c.Bool("quorum"))
			if err != nil {
				return commandError(exitServerError, err)
			}
			if resp.Node.Dir {
				return &exitError{code: exitBadArgs, msg: fmt.Sprintf("%s: is a directory\n", resp.Node.Key)}
			}
			printResponse(sys.stdout, sys.stderr, resp, o.output)
			return nil
		}),
	}
}
