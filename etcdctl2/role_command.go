package main

import (
	"fmt"
	"net/http"
	"reflect"

	"github.com/urfave/cli/v2"
)

func newRoleCommand(sys *system) *cli.Command {
	permFlags := func(verb string) []cli.Flag {
		what := map[string][4]string{
			"grant":  {"Path granted for the role to access", "Grant read-only access", "Grant write-only access", "Grant read-write access"},
			"revoke": {"Path revoked for the role to access", "Revoke read access", "Revoke write access", "Revoke read-write access"},
		}[verb]
		return []cli.Flag{
			&cli.StringFlag{Name: "path", Usage: what[0]},
			&cli.BoolFlag{Name: "read", Usage: what[1]},
			&cli.BoolFlag{Name: "write", Usage: what[2]},
			&cli.BoolFlag{Name: "readwrite", Aliases: []string{"rw"}, Usage: what[3]},
		}
	}
	return &cli.Command{
		Name:  "role",
		Usage: "role add, grant and revoke subcommands",
		Subcommands: []*cli.Command{
			{Name: "add", Usage: "add a new role for the etcd cluster", ArgsUsage: "<role> ", Action: roleAction(sys, roleAdd(sys))},
			{Name: "get", Usage: "get details for a role", ArgsUsage: "<role>", Action: roleAction(sys, roleGet(sys))},
			{Name: "list", Usage: "list all roles", ArgsUsage: " ", Action: authAction(sys, wantArgs(0, "No arguments accepted"), roleList(sys))},
			{Name: "remove", Usage: "remove a role from the etcd cluster", ArgsUsage: "<role>", Action: roleAction(sys, roleRemove(sys))},
			{Name: "grant", Usage: "grant path matches to an etcd role", ArgsUsage: "<role>", Flags: permFlags("grant"), Action: roleGrantRevoke(sys, true)},
			{Name: "revoke", Usage: "revoke path matches for an etcd role", ArgsUsage: "<role>", Flags: permFlags("revoke"), Action: roleGrantRevoke(sys, false)},
		},
	}
}

// roleFunc runs a role subcommand for the role named by its one argument.
type roleFunc func(c *cli.Context, cl *client, o options, name string) error

func roleAction(sys *system, fn roleFunc) cli.ActionFunc {
	return authAction(sys, wantArgs(1, "Please provide a role name"), func(c *cli.Context, cl *client, o options) error {
		return fn(c, cl, o, c.Args().First())
	})
}

func roleList(sys *system) func(c *cli.Context, cl *client, o options) error {
	return func(c *cli.Context, cl *client, o options) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		names, err := cl.listRoles(ctx)
		if err != nil {
			return exitWith(exitBadArgs, err)
		}
		for _, n := range names {
			fmt.Fprintln(sys.stdout, n)
		}
		return nil
	}
}

// roleAdd refuses a role that can be read already, then creates it.
func roleAdd(sys *system) roleFunc {
	return func(c *cli.Context, cl *client, o options, name string) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		if current, _ := cl.modifyRole(ctx, http.MethodGet, name, nil); current != nil {
			return exitf(exitBadArgs, "Role %s already exists", name)
		}
		if err := cl.putRole(ctx, http.MethodPut, name, &role{Role: name}); err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintf(sys.stdout, "Role %s created\n", name)
		return nil
	}
}

func roleRemove(sys *system) roleFunc {
	return func(c *cli.Context, cl *client, o options, name string) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		if err := cl.putRole(ctx, http.MethodDelete, name, nil); err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintf(sys.stdout, "Role %s removed\n", name)
		return nil
	}
}

func roleGet(sys *system) roleFunc {
	return func(c *cli.Context, cl *client, o options, name string) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		r, err := cl.modifyRole(ctx, http.MethodGet, name, nil)
		if err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintf(sys.stdout, "Role: %s\nKV Read:\n", r.Role)
		for _, p := range r.Permissions.KV.Read {
			fmt.Fprintf(sys.stdout, "\t%s\n", p)
		}
		fmt.Fprintln(sys.stdout, "KV Write:")
		for _, p := range r.Permissions.KV.Write {
			fmt.Fprintf(sys.stdout, "\t%s\n", p)
		}
		return nil
	}
}

// roleGrantRevoke checks --path and the access mode before the role name, reads the
// role, then grants or revokes the path.
func roleGrantRevoke(sys *system, grant bool) cli.ActionFunc {
	check := func(c *cli.Context) error {
		p := c.String("path")
		if p == "" {
			return exitf(exitBadArgs, "No path specified; please use `--path`")
		}
		if clean := canonicalURLPath(p); clean != p {
			return exitf(exitBadArgs, "Not canonical path; please use `--path=%s`", clean)
		}
		n := 0
		for _, set := range []bool{c.Bool("read"), c.Bool("write"), c.Bool("readwrite")} {
			if set {
				n++
			}
		}
		if n != 1 {
			return exitf(exitBadArgs, "Please specify exactly one of --read, --write or --readwrite")
		}
		return wantArgs(1, "Please provide a role name")(c)
	}
	return authAction(sys, check, func(c *cli.Context, cl *client, o options) error {
		name, p := c.Args().First(), c.String("path")
		var perm rwPermission
		if c.Bool("read") || c.Bool("readwrite") {
			perm.Read = []string{p}
		}
		if c.Bool("write") || c.Bool("readwrite") {
			perm.Write = []string{p}
		}
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		current, err := cl.modifyRole(ctx, http.MethodGet, name, nil)
		if err != nil {
			return exitWith(exitBadArgs, err)
		}
		change := &role{Role: name}
		if grant {
			change.Grant = &permissions{KV: perm}
		} else {
			change.Revoke = &permissions{KV: perm}
		}
		updated, err := cl.modifyRole(ctx, http.MethodPut, name, change)
		if err != nil {
			return exitWith(exitBadArgs, err)
		}
		// The reference prints this without a line break, before the usual line.
		if reflect.DeepEqual(updated, current) {
			if grant {
				fmt.Fprint(sys.stdout, "Role unchanged; already granted")
			} else {
				fmt.Fprint(sys.stdout, "Role unchanged; already revoked")
			}
		}
		fmt.Fprintf(sys.stdout, "Role %s updated\n", name)
		return nil
	})
}
