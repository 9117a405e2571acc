package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func newMemberUpdateCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "update",
		Usage:     "update an existing member in the etcd cluster",
		ArgsUsage: "<memberID> <peerURLs>",
		Action: memberAction(sys, wantArgs(2, "Provide an ID and a list of comma separated peerURL (0xabcd http://example.com,http://example1.com)"), func(c *cli.Context, cl *client, o options) error {
			id, urls := c.Args().Get(0), c.Args().Get(1)
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			if err := cl.updateMember(ctx, id, strings.Split(urls, ",")); err != nil {
				return exitWith(exitBadArgs, err)
			}
			fmt.Fprintf(sys.stdout, "Updated member with ID %s in cluster\n", id)
			return nil
		}),
	}
}
