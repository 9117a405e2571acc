package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

func newMemberRemoveCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "remove",
		Usage:     "remove an existing member from the etcd cluster",
		ArgsUsage: "<memberID>",
		Action: memberAction(sys, wantArgs(1, "Provide a single member ID"), func(c *cli.Context, cl *client, o options) error {
			id := c.Args().First()
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			ms, err := cl.listMembers(ctx)
			if err != nil {
				return exitf(exitBadArgs, "Error while verifying ID against known members: %v", err)
			}
			// A name given where an ID is expected gets a hint; the ID is still required.
			var hints strings.Builder
			found := false
			for _, m := range ms {
				if m.ID == id {
					found = true
				}
				if m.Name == id {
					fmt.Fprintf(&hints, "Found a member named %s; if this is correct, please use its ID, eg:\n\tetcdctl member remove %s\n", m.Name, m.ID)
					hints.WriteString("For more details, read the documentation at https://github.com/etcd-io/etcd/blob/master/Documentation/runtime-configuration.md#remove-a-member\n\n")
				}
			}
			if !found {
				return &exitError{code: exitBadArgs, msg: hints.String() + fmt.Sprintf("Couldn't find a member in the cluster with an ID of %s.\n", id)}
			}
			io.WriteString(sys.stderr, hints.String())
			if err := cl.removeMember(ctx, id); err != nil {
				// No line break, as in the reference.
				return &exitError{code: exitBadArgs, msg: fmt.Sprintf("Received an error trying to remove member %s: %s", id, err)}
			}
			fmt.Fprintf(sys.stdout, "Removed member %s from cluster\n", id)
			return nil
		}),
	}
}
