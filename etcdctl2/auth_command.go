package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func newAuthCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:  "auth",
		Usage: "overall auth controls",
		Subcommands: []*cli.Command{
			newAuthEnableCommand(sys, true),
			newAuthEnableCommand(sys, false),
		},
	}
}

func newAuthEnableCommand(sys *system, enable bool) *cli.Command {
	name, usage, done := "enable", "enable auth access controls", "Authentication Enabled"
	if !enable {
		name, usage, done = "disable", "disable auth access controls", "Authentication Disabled"
	}
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: " ",
		Action: authAction(sys, wantArgs(0, "No arguments accepted"), func(c *cli.Context, cl *client, o options) error {
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			if err := cl.enableAuth(ctx, enable); err != nil {
				return exitWith(exitBadArgs, err)
			}
			fmt.Fprintln(sys.stdout, done)
			return nil
		}),
	}
}

// authAction is memberAction for the user, role and auth commands, whose --debug output
// shows the endpoints a second time after connecting, as the reference's does.
func authAction(sys *system, check func(c *cli.Context) error, fn func(c *cli.Context, cl *client, o options) error) cli.ActionFunc {
	return memberAction(sys, check, func(c *cli.Context, cl *client, o options) error {
		if o.debug {
			printClusterEndpoints(sys.stderr, cl)
		}
		return fn(c, cl, o)
	})
}
