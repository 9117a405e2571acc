package main

import (
	"github.com/urfave/cli/v2"
)

func newMemberCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:  "member",
		Usage: "member add, remove and list subcommands",
		Subcommands: []*cli.Command{
			newMemberListCommand(sys),
			newMemberAddCommand(sys),
			newMemberRemoveCommand(sys),
			newMemberUpdateCommand(sys),
		},
	}
}

// memberAction checks the arguments and then connects: unlike the key commands, the
// member commands complain about arguments before touching the network. Their errors
// are printed bare and exit 1.
func memberAction(sys *system, check func(c *cli.Context) error, fn func(c *cli.Context, cl *client, o options) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := check(c); err != nil {
			return err
		}
		cl, err := connect(c, sys)
		if err != nil {
			return err
		}
		return fn(c, cl, readOptions(c))
	}
}

// wantArgs accepts exactly n arguments, else fails with msg.
func wantArgs(n int, msg string) func(c *cli.Context) error {
	return func(c *cli.Context) error {
		if c.NArg() != n {
			return exitf(exitBadArgs, "%s", msg)
		}
		return nil
	}
}
