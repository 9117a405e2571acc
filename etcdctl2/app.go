package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

// cliVersion is the version --version reports: the etcdctl whose behaviour this one
// reproduces, so that scripts checking it keep working.
const cliVersion = "3.4.23"

// run executes one command line (args[0] is the program name) and returns the exit
// status.
func run(ctx context.Context, sys *system, args []string) int {
	app := newApp(sys)
	err := app.RunContext(ctx, prepareArgs(app, args))
	return exitCode(sys.stderr, err)
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "debug", Usage: "output cURL commands which can be used to reproduce the request"},
		&cli.BoolFlag{Name: "no-sync", Usage: "don't synchronize cluster information before sending request"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formatSimple, Usage: "output response in the given format (`simple`, `extended` or `json`)"},
		&cli.StringFlag{Name: "discovery-srv", Aliases: []string{"D"}, Usage: "domain name to query for SRV records describing cluster endpoints"},
		&cli.BoolFlag{Name: "insecure-discovery", Usage: "accept insecure SRV records describing cluster endpoints"},
		&cli.StringFlag{Name: "peers", Aliases: []string{"C"}, Usage: `DEPRECATED - "--endpoints" should be used instead`},
		&cli.StringFlag{Name: "endpoint", Usage: `DEPRECATED - "--endpoints" should be used instead`},
		&cli.StringFlag{Name: "endpoints", Usage: `a comma-delimited list of machine addresses in the cluster (default: "` + defaultEndpoints + `")`},
		&cli.StringFlag{Name: "cert-file", Usage: "identify HTTPS client using this SSL certificate file"},
		&cli.StringFlag{Name: "key-file", Usage: "identify HTTPS client using this SSL key file"},
		&cli.StringFlag{Name: "ca-file", Usage: "verify certificates of HTTPS-enabled servers using this CA bundle"},
		&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Usage: "provide username[:password] and prompt if password is not supplied."},
		&cli.DurationFlag{Name: "timeout", Value: 2 * time.Second, Usage: "connection timeout per request"},
		&cli.DurationFlag{Name: "total-timeout", Value: 5 * time.Second, Usage: "timeout for the command execution (except watch)"},
		helpFlag(),
		&cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version"},
	}
}

func helpFlag() cli.Flag {
	return &cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help"}
}

// newApp builds the application. v2's own help flag, help command and version flag are
// off: help.go renders v1's screens and the handlers below route to them as v1 did.
func newApp(sys *system) *cli.App {
	app := &cli.App{
		Name:                      "etcdctl",
		HelpName:                  "etcdctl",
		Usage:                     "A simple command line client for etcd.",
		Version:                   cliVersion,
		Flags:                     globalFlags(),
		HideHelp:                  true,
		HideHelpCommand:           true,
		HideVersion:               true,
		DisableSliceFlagSeparator: true,
		Writer:                    sys.stdout,
		ErrWriter:                 sys.stderr,
		// run decides exit codes; v2 must not call os.Exit itself.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			newBackupCommand(sys),
			newClusterHealthCommand(sys),
			newMkCommand(sys),
			newMkdirCommand(sys),
			newRmCommand(sys),
			newRmdirCommand(sys),
			newGetCommand(sys),
			newLsCommand(sys),
			newSetCommand(sys),
			newSetdirCommand(sys),
			newUpdateCommand(sys),
			newUpdatedirCommand(sys),
			newWatchCommand(sys),
			newExecWatchCommand(sys),
			newMemberCommand(sys),
			newUserCommand(sys),
			newRoleCommand(sys),
			newAuthCommand(sys),
		},
	}
	for _, c := range app.Commands {
		setupCommand(sys, app.HelpName, c)
		// App.Setup prefixes the application's name to its commands' help names.
		c.HelpName = c.Name
	}
	top := helpTopic{name: app.HelpName, usage: app.Usage, version: app.Version, flags: app.Flags, hasCommands: true}
	showApp := func() error {
		writeHelp(sys.stdout, appHelp(top))
		return nil
	}
	app.Commands = append(app.Commands, newHelpCommand(sys, app.Commands, showApp))
	top.commands = app.Commands

	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		fmt.Fprintf(sys.stdout, "Incorrect Usage. %s\n\n", err)
		writeHelp(sys.stdout, appHelp(top))
		return err
	}
	// Global --help and --version end the program before any command runs.
	app.Before = func(c *cli.Context) error {
		switch {
		case c.Bool("help"):
			writeHelp(sys.stdout, appHelp(top))
		case c.Bool("version"):
			fmt.Fprintf(sys.stdout, "etcdctl version: %s\nAPI version: 2\n", app.Version)
		default:
			return nil
		}
		return &exitError{code: exitSuccess}
	}
	// The application's action runs when no command matched.
	app.Action = func(c *cli.Context) error {
		if c.Args().Present() {
			return noHelpTopic(c.Args().First())
		}
		return showApp()
	}
	return app
}

func noHelpTopic(name string) error {
	return exitf(exitUnknownCommand, "No help topic for '%s'", name)
}

// newHelpCommand is v1's `help [command]`: the application's help, or the help of one
// of cmds (itself included).
func newHelpCommand(sys *system, cmds []*cli.Command, showApp func() error) *cli.Command {
	h := &cli.Command{
		Name:            "help",
		Aliases:         []string{"h"},
		Usage:           "Shows a list of commands or help for one command",
		ArgsUsage:       "[command]",
		HideHelp:        true,
		HideHelpCommand: true,
	}
	// v1 names its help commands after the others, so this one's name is empty.
	own := helpTopic{usage: h.Usage, argsUsage: h.ArgsUsage}
	h.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		fmt.Fprintf(sys.stdout, "Incorrect Usage: %s\n\n", err)
		writeHelp(sys.stdout, commandHelp(own))
		return err
	}
	h.Action = func(c *cli.Context) error {
		if !c.Args().Present() {
			return showApp()
		}
		cmd := findCommand(append(cmds, h), c.Args().First())
		if cmd == nil {
			return noHelpTopic(c.Args().First())
		}
		if cmd == h {
			writeHelp(sys.stdout, commandHelp(own))
			return nil
		}
		writeHelp(sys.stdout, commandHelp(commandTopic(cmd)))
		return nil
	}
	return h
}

// commandTopic is the help of one command as `<command> --help` shows it.
func commandTopic(c *cli.Command) helpTopic {
	return helpTopic{
		name: c.HelpName, usage: c.Usage, argsUsage: c.ArgsUsage,
		description: c.Description, flags: visibleFlags(c.Flags),
	}
}

// setupCommand gives a command v1's help handling: a --help/-h option, usage errors
// followed by the command's help, and for a command group, help screens for no
// subcommand and for `help`.
func setupCommand(sys *system, parent string, c *cli.Command) {
	c.HelpName = parent + " " + c.Name
	c.HideHelp, c.HideHelpCommand = true, true
	c.Flags = append(c.Flags, helpFlag())
	if len(c.Subcommands) > 0 {
		setupGroup(sys, c)
		return
	}
	action := c.Action
	topic := commandTopic(c)
	c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		fmt.Fprintf(sys.stdout, "Incorrect Usage: %s\n\n", err)
		writeHelp(sys.stdout, commandHelp(topic))
		return err
	}
	c.Action = func(ctx *cli.Context) error {
		if ctx.Bool("help") {
			writeHelp(sys.stdout, commandHelp(topic))
			return nil
		}
		return action(ctx)
	}
}

// setupGroup handles a command with subcommands (member, user, role, auth), which v1
// ran as an application of its own.
func setupGroup(sys *system, g *cli.Command) {
	visible := g.Subcommands
	for _, s := range g.Subcommands {
		setupCommand(sys, g.HelpName, s)
	}
	group := helpTopic{name: g.HelpName, usage: g.Usage, commands: visible, flags: []cli.Flag{helpFlag()}}
	asApp := group
	asApp.version, asApp.hasCommands = cliVersion, true
	showGroup := func() error {
		writeHelp(sys.stdout, subcommandHelp(group))
		return nil
	}
	g.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		fmt.Fprintf(sys.stdout, "Incorrect Usage. %s\n\n", err)
		writeHelp(sys.stdout, subcommandHelp(group))
		return err
	}
	// --help before a subcommand shows the group's help instead of running it.
	g.Before = func(c *cli.Context) error {
		if c.Bool("help") {
			showGroup()
			return &exitError{code: exitSuccess}
		}
		return nil
	}
	g.Action = func(c *cli.Context) error {
		if !c.Args().Present() {
			return showGroup()
		}
		return noHelpTopic(c.Args().First())
	}
	help := &cli.Command{
		Name:            "help",
		Aliases:         []string{"h"},
		Usage:           "Shows a list of commands or help for one command",
		ArgsUsage:       "[command]",
		HelpName:        g.HelpName + " help",
		HideHelp:        true,
		HideHelpCommand: true,
		Hidden:          true,
	}
	help.Action = func(c *cli.Context) error {
		if !c.Args().Present() {
			writeHelp(sys.stdout, appHelp(asApp))
			return nil
		}
		sub := findCommand(g.Subcommands, c.Args().First())
		if sub == nil {
			return noHelpTopic(c.Args().First())
		}
		writeHelp(sys.stdout, commandHelp(commandTopic(sub)))
		return nil
	}
	g.Subcommands = append(g.Subcommands, help)
}
