package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

func newLsCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "retrieve a directory",
		ArgsUsage: "[key]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "sort", Usage: "returns result in sorted order"},
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "returns all key names recursively for the given path"},
			&cli.BoolFlag{Name: "p", Usage: "append slash (/) to directories"},
			&cli.BoolFlag{Name: "quorum", Aliases: []string{"q"}, Usage: "require quorum for get request"},
		},
		Action: keysAction(sys, func(c *cli.Context, cl *client, o options) error {
			key := "/"
			if c.NArg() > 0 {
				key = c.Args().First()
			}
			ctx, cancel := o.withTotalTimeout(c.Context)
			defer cancel()
			resp, err := cl.get(ctx, key, c.Bool("recursive"), c.Bool("sort"), c.Bool("quorum"))
			if err != nil {
				return commandError(exitServerError, err)
			}
			sortNodes(resp.Node)
			if o.output != formatSimple {
				printResponse(sys.stdout, sys.stderr, resp, o.output)
				return nil
			}
			// Like Unix ls: a file lists itself, a directory its children, depth first.
			if !resp.Node.Dir {
				fmt.Fprintln(sys.stdout, resp.Node.Key)
			}
			for _, n := range resp.Node.Nodes {
				printTree(sys.stdout, n, c.Bool("p"))
			}
			return nil
		}),
	}
}

// printTree prints n's key, with a slash after directories when slash is set, then its
// descendants.
func printTree(w io.Writer, n *node, slash bool) {
	if n.Dir && slash {
		fmt.Fprintf(w, "%s/\n", n.Key)
	} else {
		fmt.Fprintln(w, n.Key)
	}
	for _, child := range n.Nodes {
		printTree(w, child, slash)
	}
}
