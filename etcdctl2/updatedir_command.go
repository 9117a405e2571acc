package main

import (
	"github.com/urfave/cli/v2"
)

func newUpdatedirCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "updatedir",
		Usage:     "update an existing directory",
		ArgsUsage: "<key> <value>",
		Flags:     []cli.Flag{ttlFlag()},
		Action:    keysAction(sys, dirAction(sys, prevExists)),
	}
}
