package main

import (
	"github.com/urfave/cli/v2"
)

func newRmdirCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "rmdir",
		Usage:     "removes the key if it is an empty directory or a key-value pair",
		ArgsUsage: "<key>",
		Action: keysAction(sys, func(c *cli.Context, cl *client, o options) error {
			key, err := keyArg(c)
			if err != nil {
				return err
			}
			return remove(c, sys, cl, o, key, deleteOptions{dir: true})
		}),
	}
}
