package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// prepareArgs rewrites a command line into the order urfave/cli v1 parsed it, so that v2
// (which parses flags only before the first argument) sees what the reference saw. The
// global options are left alone, as v1 parsed them in place; the arguments of a command,
// or of a group's subcommand, are reordered by reorderArgs. Lines it cannot follow (an
// unknown option, an unknown command) are returned unchanged for v2 to reject.
func prepareArgs(app *cli.App, args []string) []string {
	if len(args) == 0 {
		return args
	}
	out := slices.Clone(args)
	i, ok := skipFlags(app.Flags, out, 1)
	if !ok || i >= len(out) {
		return out
	}
	cmd := findCommand(app.Commands, out[i])
	if cmd == nil {
		return out
	}
	if len(cmd.Subcommands) > 0 {
		j, ok := skipFlags(cmd.Flags, out, i+1)
		if !ok || j >= len(out) {
			return out
		}
		sub := findCommand(cmd.Subcommands, out[j])
		if sub == nil {
			return out
		}
		cmd, i = sub, j
	}
	reorder := reorderArgs
	if cmd.Name == "exec-watch" {
		reorder = reorderExecWatchArgs
	}
	return append(out[:i+1], reorder(cmd.Flags, out[i+1:])...)
}

// skipFlags walks the options starting at args[i] the way Go's flag package parses them
// and returns the index of the first argument after them. It reports false on an option
// it does not know.
func skipFlags(flags []cli.Flag, args []string, i int) (int, bool) {
	for i < len(args) {
		s := args[i]
		if s == "--" {
			return i + 1, true
		}
		if len(s) < 2 || s[0] != '-' {
			return i, true
		}
		name := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "-")
		name, _, hasValue := strings.Cut(name, "=")
		f := lookupFlag(flags, name)
		if f == nil {
			return i, false
		}
		i++
		if _, isBool := f.(*cli.BoolFlag); !isBool && !hasValue {
			i++ // the option's value
		}
	}
	return i, true
}

func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// reorderArgs is urfave/cli v1.22's argument reordering: the command's own options, each
// followed by the next argument when that is not an option itself (it may be the
// option's value), go first; the other arguments keep their order after them. A `--`
// that is not taken as a value stops the reordering and moves to the front of the
// remaining arguments, so the flag parser consumes it: `set -- key -v` sets key to "-v".
func reorderArgs(flags []cli.Flag, args []string) []string {
	opts, before, after, _ := splitArgs(flags, args)
	if after == nil {
		return append(opts, before...)
	}
	return slices.Concat(opts, []string{"--"}, before, after)
}

// reorderExecWatchArgs differs from reorderArgs in one place. [QUIRK] v1 moves `--` in
// front of the key, so `exec-watch <key> -- <cmd>` loses the `--` and the reference
// watches the command's last word (SPEC 9.4). Here a `--` that follows an argument stays
// after it, where exec-watch finds it and takes the key before it.
func reorderExecWatchArgs(flags []cli.Flag, args []string) []string {
	opts, before, after, _ := splitArgs(flags, args)
	switch {
	case after == nil:
		return append(opts, before...)
	case len(before) == 0:
		return slices.Concat(opts, []string{"--"}, after)
	default:
		return slices.Concat(opts, before, []string{"--"}, after)
	}
}

// splitArgs sorts args into options (with their values), the other arguments before a
// delimiting `--`, and the arguments after it (nil when there is no `--`).
func splitArgs(flags []cli.Flag, args []string) (opts, before, after []string, dashdash bool) {
	opts, before = []string{}, []string{}
	mayBeValue := false
	for i, arg := range args {
		switch {
		case mayBeValue && !isCommandFlag(flags, arg):
			mayBeValue = false
			opts = append(opts, arg)
		case arg == "--":
			return opts, before, append([]string{}, args[i+1:]...), true
		case isCommandFlag(flags, arg):
			opts = append(opts, arg)
			mayBeValue = !strings.Contains(arg, "=")
		default:
			before = append(before, arg)
		}
	}
	return opts, before, nil, false
}

// isCommandFlag tells whether arg names one of flags ("-r", "--recursive",
// "--ttl=5"). "-" and "--" never do.
func isCommandFlag(flags []cli.Flag, arg string) bool {
	if arg == "-" || arg == "--" || !strings.HasPrefix(arg, "-") {
		return false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	name, _, _ = strings.Cut(name, "=")
	return lookupFlag(flags, name) != nil
}
