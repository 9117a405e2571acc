package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func newWatchCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "watch",
		Usage:     "watch a key for changes",
		ArgsUsage: "<key>",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "forever", Aliases: []string{"f"}, Usage: "forever watch a key until CTRL+C"},
			&cli.IntFlag{Name: "after-index", Value: 0, Usage: "watch after the given index"},
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "returns all values for key and child keys"},
		},
		Action: keysAction(sys, func(c *cli.Context, cl *client, o options) error {
			key, err := keyArg(c)
			if err != nil {
				return err
			}
			recursive := c.Bool("recursive")
			// Watches have no total timeout; Ctrl-C ends them successfully.
			ctx, stop := sys.interruptible(c.Context)
			defer stop()
			w := cl.watch(key, uint64(c.Int("after-index")), recursive)
			for {
				resp, err := w.next(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return commandError(exitServerError, err)
				}
				// Directory events are skipped without a word.
				if resp.Node.Dir {
					continue
				}
				if recursive {
					fmt.Fprintf(sys.stdout, "[%s] %s\n", resp.Action, resp.Node.Key)
				}
				printResponse(sys.stdout, sys.stderr, resp, o.output)
				if !c.Bool("forever") {
					return nil
				}
			}
		}),
	}
}
