package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/urfave/cli/v2"
)

func newUserCommand(sys *system) *cli.Command {
	rolesFlag := func() cli.Flag {
		// Each --roles adds one role; commas are not separators.
		return &cli.StringSliceFlag{Name: "roles", KeepSpace: true, Usage: "List of roles to grant or revoke"}
	}
	return &cli.Command{
		Name:  "user",
		Usage: "user add, grant and revoke subcommands",
		Subcommands: []*cli.Command{
			{Name: "add", Usage: "add a new user for the etcd cluster", ArgsUsage: "<user>", Action: userAction(sys, userAdd(sys))},
			{Name: "get", Usage: "get details for a user", ArgsUsage: "<user>", Action: userAction(sys, userGet(sys))},
			{Name: "list", Usage: "list all current users", ArgsUsage: "<user>", Action: authAction(sys, wantArgs(0, "No arguments accepted"), userList(sys))},
			{Name: "remove", Usage: "remove a user for the etcd cluster", ArgsUsage: "<user>", Action: userAction(sys, userRemove(sys))},
			{Name: "grant", Usage: "grant roles to an etcd user", ArgsUsage: "<user>", Flags: []cli.Flag{rolesFlag()}, Action: userGrantRevoke(sys, true)},
			{Name: "revoke", Usage: "revoke roles for an etcd user", ArgsUsage: "<user>", Flags: []cli.Flag{rolesFlag()}, Action: userGrantRevoke(sys, false)},
			{Name: "passwd", Usage: "change password for a user", ArgsUsage: "<user>", Action: userAction(sys, userPasswd(sys))},
		},
	}
}

// userFunc runs a user subcommand for the user named by its one argument.
type userFunc func(c *cli.Context, cl *client, o options, name string) error

func userAction(sys *system, fn userFunc) cli.ActionFunc {
	return authAction(sys, wantArgs(1, "Please provide a username"), func(c *cli.Context, cl *client, o options) error {
		return fn(c, cl, o, c.Args().First())
	})
}

func userList(sys *system) func(c *cli.Context, cl *client, o options) error {
	return func(c *cli.Context, cl *client, o options) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		names, err := cl.listUsers(ctx)
		if err != nil {
			return exitWith(exitBadArgs, err)
		}
		for _, n := range names {
			fmt.Fprintln(sys.stdout, n)
		}
		return nil
	}
}

// userAdd creates user[:password], prompting for a missing password.
func userAdd(sys *system) userFunc {
	return func(c *cli.Context, cl *client, o options, arg string) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		name, password, err := credentials(sys, "New password: ", arg)
		if err != nil {
			return exitf(exitBadArgs, "Error reading password: %v", err)
		}
		if err := cl.putUser(ctx, http.MethodPut, name, &user{User: name, Password: password}); err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintf(sys.stdout, "User %s created\n", name)
		return nil
	}
}

func userRemove(sys *system) userFunc {
	return func(c *cli.Context, cl *client, o options, name string) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		if err := cl.putUser(ctx, http.MethodDelete, name, nil); err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintf(sys.stdout, "User %s removed\n", name)
		return nil
	}
}

func userPasswd(sys *system) userFunc {
	return func(c *cli.Context, cl *client, o options, name string) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		password, err := sys.readPassword("New password: ")
		if err != nil {
			return exitf(exitBadArgs, "Error reading password: %v", err)
		}
		if _, err := cl.modifyUser(ctx, http.MethodPut, name, &user{User: name, Password: password}); err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintln(sys.stdout, "Password updated")
		return nil
	}
}

func userGet(sys *system) userFunc {
	return func(c *cli.Context, cl *client, o options, name string) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		u, err := cl.modifyUser(ctx, http.MethodGet, name, nil)
		if err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintf(sys.stdout, "User: %s\nRoles: %s\n", u.name, strings.Join(u.roles, " "))
		return nil
	}
}

// userGrantRevoke checks --roles before the username, then grants or revokes.
func userGrantRevoke(sys *system, grant bool) cli.ActionFunc {
	check := func(c *cli.Context) error {
		if len(c.StringSlice("roles")) == 0 {
			return exitf(exitBadArgs, "No roles specified; please use `--roles`")
		}
		return wantArgs(1, "Please provide a username")(c)
	}
	return authAction(sys, check, func(c *cli.Context, cl *client, o options) error {
		ctx, cancel := o.withTotalTimeout(c.Context)
		defer cancel()
		name := c.Args().First()
		u := &user{User: name}
		if grant {
			u.Grant = c.StringSlice("roles")
		} else {
			u.Revoke = c.StringSlice("roles")
		}
		if _, err := cl.modifyUser(ctx, http.MethodPut, name, u); err != nil {
			return exitWith(exitBadArgs, err)
		}
		fmt.Fprintf(sys.stdout, "User %s updated\n", name)
		return nil
	})
}
