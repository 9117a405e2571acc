package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func newMemberAddCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "add a new member to the etcd cluster",
		ArgsUsage: "<name> <peerURL>",
		Action: memberAction(sys, wantArgs(2, "Provide a name and a single member peerURL"), func(c *cli.Context, cl *client, o options) error {
			name, peerURL := c.Args().Get(0), c.Args().Get(1)
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			m, err := cl.addMember(ctx, peerURL)
			if err != nil {
				return exitWith(exitBadArgs, err)
			}
			fmt.Fprintf(sys.stdout, "Added member named %s with ID %s to cluster\n", name, m.ID)

			// The configuration the new member starts with: every member's peer URLs,
			// the new one (still unnamed on the server) under the name given.
			ms, err := cl.listMembers(ctx)
			if err != nil {
				return exitWith(exitBadArgs, err)
			}
			var conf []string
			for _, mm := range ms {
				n := mm.Name
				if mm.ID == m.ID {
					n = name
				}
				for _, u := range mm.PeerURLs {
					conf = append(conf, fmt.Sprintf("%s=%s", n, u))
				}
			}
			fmt.Fprintf(sys.stdout, "\nETCD_NAME=%q\nETCD_INITIAL_CLUSTER=%q\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n",
				name, strings.Join(conf, ","))
			return nil
		}),
	}
}
