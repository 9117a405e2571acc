package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

// Help screens are urfave/cli v1's, which etcdctl 3.4.23 was built with; scripts and
// people read them. There are three layouts: the application's (etcdctl --help, and a
// command group's `help` subcommand), a command's (set --help, help set) and a command
// group's (member, member --help). Columns are aligned by text/tabwriter exactly as v1
// does.

// helpTopic is what a help screen shows.
type helpTopic struct {
	// name is the NAME line's subject and the USAGE line's program ("etcdctl set").
	name        string
	usage       string
	argsUsage   string
	description string
	// version is shown by the application layout when set.
	version  string
	commands []*cli.Command
	flags    []cli.Flag
	// hasCommands adds " command [command options]" to the application layout's usage.
	hasCommands bool
}

// writeHelp renders text through v1's tabwriter settings.
func writeHelp(w io.Writer, text string) {
	tw := tabwriter.NewWriter(w, 1, 8, 2, ' ', 0)
	io.WriteString(tw, text)
	tw.Flush()
}

// appHelp is v1's application layout.
func appHelp(t helpTopic) string {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME:\n   %s", t.name)
	if t.usage != "" {
		fmt.Fprintf(&b, " - %s", t.usage)
	}
	fmt.Fprintf(&b, "\n\nUSAGE:\n   %s ", t.name)
	if len(t.flags) > 0 {
		b.WriteString("[global options]")
	}
	if t.hasCommands {
		b.WriteString(" command [command options]")
	}
	b.WriteString(" " + argsUsage(t.argsUsage))
	if t.version != "" {
		fmt.Fprintf(&b, "\n\nVERSION:\n   %s", t.version)
	}
	if t.description != "" {
		fmt.Fprintf(&b, "\n\nDESCRIPTION:\n   %s", t.description)
	}
	if len(t.commands) > 0 {
		b.WriteString("\n\nCOMMANDS:")
		writeCommands(&b, t.commands)
	}
	if len(t.flags) > 0 {
		b.WriteString("\n\nGLOBAL OPTIONS:\n   ")
		for i, f := range t.flags {
			if i > 0 {
				b.WriteString("\n   ")
			}
			b.WriteString(flagHelp(f))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// commandHelp is v1's command layout.
func commandHelp(t helpTopic) string {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME:\n   %s - %s\n\nUSAGE:\n   %s", t.name, t.usage, t.name)
	if len(t.flags) > 0 {
		b.WriteString(" [command options]")
	}
	b.WriteString(" " + argsUsage(t.argsUsage))
	if t.description != "" {
		fmt.Fprintf(&b, "\n\nDESCRIPTION:\n   %s", t.description)
	}
	writeOptions(&b, t.flags)
	b.WriteString("\n")
	return b.String()
}

// subcommandHelp is v1's layout for a command group.
func subcommandHelp(t helpTopic) string {
	var b strings.Builder
	what := t.usage
	if t.description != "" {
		what = t.description
	}
	fmt.Fprintf(&b, "NAME:\n   %s - %s\n\nUSAGE:\n   %s command", t.name, what, t.name)
	if len(t.flags) > 0 {
		b.WriteString(" [command options]")
	}
	b.WriteString(" " + argsUsage(t.argsUsage))
	b.WriteString("\n\nCOMMANDS:")
	writeCommands(&b, t.commands)
	writeOptions(&b, t.flags)
	b.WriteString("\n")
	return b.String()
}

func argsUsage(s string) string {
	if s == "" {
		return "[arguments...]"
	}
	return s
}

func writeCommands(b *strings.Builder, cmds []*cli.Command) {
	for _, c := range cmds {
		fmt.Fprintf(b, "\n   %s\t%s", strings.Join(c.Names(), ", "), c.Usage)
	}
}

// writeOptions ends every flag line with a line break and three spaces: v1's template
// leaves that indented empty line after the last option.
func writeOptions(b *strings.Builder, flags []cli.Flag) {
	if len(flags) == 0 {
		return
	}
	b.WriteString("\n\nOPTIONS:\n   ")
	for _, f := range flags {
		b.WriteString(flagHelp(f) + "\n   ")
	}
}

// flagHelp is one option line: every name with its placeholder, a tab, the usage and
// the default. A `quoted` word in the usage becomes the placeholder (v1 removes only
// the first pair of back quotes); otherwise value flags show "value".
func flagHelp(f cli.Flag) string {
	usage, placeholder, def := "", "", ""
	switch f := f.(type) {
	case *cli.BoolFlag:
		usage = f.Usage
	case *cli.StringFlag:
		usage, placeholder = f.Usage, "value"
		if f.Value != "" {
			def = strconv.Quote(f.Value)
		}
	case *cli.IntFlag:
		usage, placeholder, def = f.Usage, "value", strconv.Itoa(f.Value)
	case *cli.DurationFlag:
		usage, placeholder, def = f.Usage, "value", f.Value.String()
	case *cli.StringSliceFlag:
		usage, placeholder = f.Usage, "value"
	}
	if start := strings.Index(usage, "`"); start >= 0 {
		if end := strings.Index(usage[start+1:], "`"); end >= 0 {
			placeholder = usage[start+1 : start+1+end]
			usage = usage[:start] + placeholder + usage[start+1+end+1:]
		}
	}
	names := make([]string, 0, len(f.Names()))
	for _, n := range f.Names() {
		dashes := "--"
		if len(n) == 1 {
			dashes = "-"
		}
		if placeholder != "" {
			n += " " + placeholder
		}
		names = append(names, dashes+n)
	}
	line := strings.Join(names, ", ") + "\t" + usage
	if def != "" {
		line += " (default: " + def + ")"
	}
	return line
}

// visibleFlags drops the help flag every command carries: v1 lists it only for the
// application and for command groups.
func visibleFlags(flags []cli.Flag) []cli.Flag {
	var out []cli.Flag
	for _, f := range flags {
		if f.Names()[0] != "help" {
			out = append(out, f)
		}
	}
	return out
}
