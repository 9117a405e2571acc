package main

import (
	"github.com/urfave/cli/v2"
)

func newSetdirCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "setdir",
		Usage:     "create a new directory or update an existing directory TTL",
		ArgsUsage: "<key>",
		Flags:     []cli.Flag{ttlFlag()},
		Action:    keysAction(sys, dirAction(sys, prevIgnore)),
	}
}
