package main

import (
	"github.com/urfave/cli/v2"
)

func newRmCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove a key or a directory",
		ArgsUsage: "<key>",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dir", Usage: "removes the key if it is an empty directory or a key-value pair"},
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "removes the key and all child keys(if it is a directory)"},
			&cli.StringFlag{Name: "with-value", Usage: "previous value"},
			&cli.IntFlag{Name: "with-index", Value: 0, Usage: "previous index"},
		},
		Action: keysAction(sys, func(c *cli.Context, cl *client, o options) error {
			key, err := keyArg(c)
			if err != nil {
				return err
			}
			return remove(c, sys, cl, o, key, deleteOptions{
				prevValue: c.String("with-value"),
				prevIndex: uint64(c.Int("with-index")),
				dir:       c.Bool("dir"),
				recursive: c.Bool("recursive"),
			})
		}),
	}
}

// remove deletes key and prints the response, except a directory's in the simple
// format.
func remove(c *cli.Context, sys *system, cl *client, o options, key string, opts deleteOptions) error {
	ctx, cancel := o.withTotalTimeout(c.Context)
	defer cancel()
	resp, err := cl.del(ctx, key, opts)
	if err != nil {
		return commandError(exitServerError, err)
	}
	if !resp.Node.Dir || o.output != formatSimple {
		printResponse(sys.stdout, sys.stderr, resp, o.output)
	}
	return nil
}
