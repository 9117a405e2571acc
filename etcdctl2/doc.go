// Command etcdctl is the legacy etcd v2 command line (etcdctl 3.4.23 with ETCDCTL_API=2),
// rebuilt so that existing shell scripts get the same stdout, stderr and exit codes
// against our server and against the reference etcd (SPEC 9).
//
// The program is one urfave/cli v2 application whose commands live one per file
// (set_command.go, mk_command.go, ...). urfave/cli v1, which the reference was built
// with, differs from v2 in three places scripts can see, and this package restores v1's
// behaviour explicitly:
//
//   - argument order: v1 moves a command's flags in front of its positional arguments
//     (so `set k v --ttl 5` works) and moves a `--` delimiter in front of them too
//     (reorder.go, applied before v2 parses anything);
//   - help: every help screen is rendered by help.go from v1's templates, and v2's own
//     help flag and command are disabled;
//   - exits: v1 called os.Exit from deep inside commands; here every command returns an
//     *exitError carrying the code and the stderr text, and run decides the exit code.
//
// The package carries its own small v2 client (client.go and the *_client.go files) and
// imports no server package, so it works against any v2 server. Endpoint selection,
// failover, sync from /v2/members, per-request header timeouts, redirects and the
// --debug cURL lines follow the reference client library.
//
// Deliberate differences from the reference are marked [OURS] or [QUIRK] in SPEC 9 and
// listed in README: `ls` prints children sorted, `exec-watch <key> -- <cmd>` takes the key
// before `--`, and a password read from a non-terminal stdin does not run stty.
package main
