package main

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

var errExecWatchArgs = errors.New("key and command to exec required")

func newExecWatchCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "exec-watch",
		Usage:     "watch a key for changes and exec an executable",
		ArgsUsage: "<key> <command> [args...]",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "after-index", Value: 0, Usage: "watch after the given index"},
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "watch all values for key and child keys"},
		},
		Action: keysAction(sys, func(c *cli.Context, cl *client, o options) error {
			key, command, ok := execWatchArgs(c.Args().Slice())
			if !ok {
				return commandError(exitBadArgs, errExecWatchArgs)
			}
			ctx, stop := sys.interruptible(c.Context)
			defer stop()
			w := cl.watch(key, uint64(c.Int("after-index")), c.Bool("recursive"))
			for {
				resp, err := w.next(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return commandError(exitServerError, err)
				}
				if resp.Node.Dir {
					fmt.Fprintf(sys.stderr, "Ignored dir %s change\n", resp.Node.Key)
					continue
				}
				if err := startWatchCommand(sys, command, resp); err != nil {
					// The reference prints the error without a line break.
					return &exitError{code: exitBadArgs, msg: err.Error()}
				}
			}
		}),
	}
}

// execWatchArgs splits the arguments into the key and the command. With a `--` after
// the first argument, the key comes before it and the command after it; without one,
// the legacy layout puts the command first and the key last (SPEC 9.4).
func execWatchArgs(args []string) (key string, command []string, ok bool) {
	if len(args) < 2 {
		return "", nil, false
	}
	if i := slices.Index(args[1:], "--"); i >= 0 {
		command = args[i+2:]
		return args[0], command, len(command) > 0
	}
	return args[len(args)-1], args[:len(args)-1], true
}

// startWatchCommand starts command for one event with the event in ETCD_WATCH_*
// variables and the program's stdout and stderr. Commands run concurrently and are not
// waited for: like the reference, a command may outlive the watch.
func startWatchCommand(sys *system, command []string, resp *keysResponse) error {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(childEnviron(sys.environ()),
		"ETCD_WATCH_ACTION="+resp.Action,
		"ETCD_WATCH_MODIFIED_INDEX="+strconv.FormatUint(resp.Node.ModifiedIndex, 10),
		"ETCD_WATCH_KEY="+resp.Node.Key,
		"ETCD_WATCH_VALUE="+resp.Node.Value,
	)
	cmd.Stdout, cmd.Stderr = sys.stdout, sys.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// Reap the child; the goroutine ends with it or with the program.
	go cmd.Wait()
	return nil
}

// childEnviron drops ETCDCTL_API, which the reference's main removes from its own
// environment before running commands (a child of `ETCDCTL_API=2 etcdctl` never sees
// it).
func childEnviron(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "ETCDCTL_API=")
	})
}
