package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func newMemberListCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "enumerate existing cluster members",
		ArgsUsage: " ",
		Action: memberAction(sys, wantArgs(0, "No arguments accepted"), func(c *cli.Context, cl *client, o options) error {
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			ms, err := cl.listMembers(ctx)
			if err != nil {
				return exitWith(exitBadArgs, err)
			}
			leader, err := cl.leader(ctx)
			if err != nil {
				return exitf(exitBadArgs, "Failed to get leader:  %v", err)
			}
			for _, m := range ms {
				if m.Name == "" {
					fmt.Fprintf(sys.stdout, "%s[unstarted]: peerURLs=%s\n", m.ID, strings.Join(m.PeerURLs, ","))
					continue
				}
				fmt.Fprintf(sys.stdout, "%s: name=%s peerURLs=%s clientURLs=%s isLeader=%v\n",
					m.ID, m.Name, strings.Join(m.PeerURLs, ","), strings.Join(m.ClientURLs, ","), m.ID == leader.ID)
			}
			return nil
		}),
	}
}
