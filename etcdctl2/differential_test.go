package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// a builds a step from arguments.
func a(args ...string) step { return step{args: args} }

// Modifiers of a step, for readable scripts.
func (s step) in(stdin string) step            { s.stdin = stdin; return s }
func (s step) withEnv(env ...string) step      { s.env = append(s.env, env...); return s }
func (s step) bare() step                      { s.noEndpoints = true; return s }
func (s step) until(lines int) step            { s.untilLines = lines; return s }
func (s step) sorted() step                    { s.sortStdout = true; return s }
func (s step) waitAtMost(d time.Duration) step { s.wait = d; return s }
func (s step) capture() step                   { s.captureIdx = true; return s }
func (s step) background(name string) step     { s.start = name; return s }
func (s step) collect(name string, lines int) step {
	return step{finish: name, untilLines: lines, args: []string{"(" + name + ")"}}
}
func (s step) knownDiff(why, want string) step { s.known, s.ourWant = why, want; return s }

const echoEvent = `echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE idx=$ETCD_WATCH_MODIFIED_INDEX api=$ETCDCTL_API"`

// differentialScript exercises every command and global option, errors included. It
// leaves the cluster as it found it (keys under /d, users, roles, auth, members), so
// that the reference etcdctl and ours can run it one after the other against the same
// cluster.
func differentialScript() []step {
	return []step{
		// Keys: set, get, mk, mkdir, setdir, update, updatedir in all formats.
		a("set", "/d/a", "1"),
		a("-o", "extended", "set", "/d/a", "2"),
		a("-o", "json", "set", "/d/a", "3"),
		a("get", "/d/a"),
		a("-o", "extended", "get", "/d/a"),
		a("-o", "json", "get", "/d/a"),
		a("get", "/d/missing"),
		a("-o", "json", "get", "/d/missing"),
		a("-o", "extended", "get", "/d/missing"),
		a("get", "/d"),
		a("mk", "/d/b", "x"),
		a("mk", "/d/b", "y"),
		a("-o", "json", "mk", "/d/b2", "y"),
		a("mk", "--in-order", "/d/q", "job1"),
		a("-o", "json", "mk", "--in-order", "/d/q", "job2"),
		a("-o", "extended", "mk", "--in-order", "--ttl", "1000", "/d/q", "job3"),
		a("mkdir", "/d/dir"),
		a("mkdir", "/d/dir"),
		a("-o", "json", "mkdir", "--ttl", "1000", "/d/tdir"),
		a("setdir", "/d/dir"),
		a("-o", "extended", "setdir", "/d/dir2"),
		a("setdir", "/d/b2"),
		a("update", "/d/a", "4"),
		a("-o", "json", "update", "--ttl", "1000", "/d/a", "5"),
		a("update", "/d/nope", "x"),
		a("updatedir", "/d/dir"),
		a("-o", "json", "updatedir", "--ttl", "1000", "/d/dir"),
		a("updatedir", "/d/nodir"),
		a("set", "--swap-with-value", "5", "/d/a", "6"),
		a("set", "--swap-with-value", "nope", "/d/a", "7"),
		a("set", "--swap-with-index", "1", "/d/a", "7"),
		a("-o", "extended", "get", "/d/a").capture(),
		a("-o", "extended", "set", "--swap-with-index", "{idx}", "/d/a", "8"),
		a("set", "/d/ttl", "v", "--ttl", "1000"),
		a("-o", "extended", "get", "/d/ttl"),
		a("-o", "json", "get", "/d/ttl"),
		a("set", "--", "/d/dash", "-v"),
		a("get", "/d/dash"),
		a("set", "/d/stdin").in("piped value\n"),
		a("-o", "json", "get", "/d/stdin"),
		a("mk", "/d/stdin2"),
		a("set"),
		a("update", "/d/a"),
		a("set", "--ttl", "abc", "/d/a", "1"),
		a("set", "/d/a", "1", "--bogus"),
		a("get", "/d/a", "--sort", "--quorum"),
		a("get", "-q", "/d/a"),
		// ls
		a("mkdir", "/d/empty"),
		a("ls", "--sort", "/d"),
		a("ls", "-r", "-p", "--sort", "/d"),
		a("ls", "/d").sorted(),
		a("ls", "/d/a"),
		a("ls", "/d/empty"),
		a("-o", "json", "ls", "--sort", "/d/q"),
		a("-o", "extended", "ls", "--sort", "/d"),
		a("ls", "/d/nope"),
		a("ls", "-q", "--sort", "/d/q"),
		// rm and rmdir
		a("rm", "/d/dash"),
		a("-o", "extended", "rm", "/d/stdin"),
		a("-o", "json", "rm", "--with-value", "8", "/d/a"),
		a("rm", "/d/dir"),
		a("rm", "--dir", "/d/dir2"),
		a("-o", "json", "rm", "--dir", "/d/empty"),
		a("rm", "--with-value", "nope", "/d/b"),
		a("rm", "--with-index", "1", "/d/b"),
		a("rmdir", "/d/q"),
		a("rmdir", "/d/nope"),
		a("-o", "extended", "rmdir", "/d/tdir"),
		a("rm", "-r", "/d/q"),
		a("rm", "/d/q"),
		// watch: history replay, forever (Ctrl-C), live.
		a("-o", "extended", "set", "/d/w/start", "0").capture(),
		a("set", "/d/w/x", "1"),
		a("set", "/d/w/y", "2"),
		a("mkdir", "/d/w/sub"),
		a("rm", "/d/w/x"),
		a("watch", "--after-index", "{idx}", "/d/w/x"),
		a("watch", "-r", "--after-index", "{idx}", "/d/w"),
		a("-o", "json", "watch", "-r", "--forever", "--after-index", "{idx}", "/d/w").until(6),
		a("-o", "extended", "watch", "--after-index", "{idx}", "/d/w/y"),
		a("watch", "/d/w/y", "--after-index", "{idx}"),
		a("watch"),
		a("watch", "/d/live").background("live"),
		a("set", "/d/live", "hello"),
		step{}.collect("live", 1),
		a("watch", "-f", "-r", "/d/live2").background("live2"),
		a("set", "/d/live2/a", "1"),
		a("rm", "/d/live2/a"),
		step{}.collect("live2", 4),
		// exec-watch: both layouts, environment, errors.
		a("exec-watch", "--after-index", "{idx}", "-r", "/d/w", "--", "sh", "-c", echoEvent).until(3).sorted(),
		a("exec-watch", "--after-index", "{idx}", "sh", "-c", "echo legacy $ETCD_WATCH_VALUE", "/d/w/y").until(1),
		a("exec-watch", "--after-index", "{idx}", "/d/w/y", "--", "sh", "-c", "echo quirk").until(1).waitAtMost(2*time.Second).
			knownDiff("[QUIRK] SPEC 9.4: the reference watches the command's last word", "quirk"),
		a("exec-watch", "/d/w"),
		a("exec-watch", "--after-index", "{idx}", "/nonexistent/command", "/d/w/y"),
		// member and cluster-health
		a("member", "list"),
		a("-o", "json", "member", "list"),
		a("member", "list", "extra"),
		a("member", "add"),
		a("member", "add", "n4", "foo"),
		a("member", "add", "n4", "{p1}"),
		a("member", "add", "n4", "{newpeer}"),
		// The new member's random ID decides where it is listed.
		a("member", "list").sorted(),
		a("cluster-health").sorted(),
		a("member", "update", "{newid}", "{newpeer2}"),
		a("member", "update", "ffff", "{newpeer2}"),
		a("member", "update", "{newid}"),
		a("member", "remove", "n1"),
		a("member", "remove", "abc"),
		a("member", "remove", "{newid}"),
		a("cluster-health"),
		a("cluster-health", "--forever").until(6),
		a("--debug", "cluster-health"),
		// users, roles, auth
		a("user", "list"),
		a("role", "list"),
		a("user", "add", "root:rootpw"),
		a("user", "add", "alice:pw"),
		a("user", "add", "bob").in("bobpw\n"),
		a("user", "add", "alice:again"),
		a("role", "add", "reader"),
		a("role", "add", "reader"),
		a("role", "grant", "reader", "--path", "/d/*", "--read"),
		a("role", "grant", "reader", "--path", "/d/*", "--read"),
		a("role", "grant", "reader", "--path", "/d//x", "--read"),
		a("role", "grant", "reader", "--path", "/d/x"),
		a("role", "grant", "reader", "--read"),
		a("role", "grant", "--rw", "--path", "/e", "reader"),
		a("role", "revoke", "reader", "--path", "/e", "--write"),
		a("role", "get", "reader"),
		a("role", "get", "nope"),
		a("user", "grant", "alice", "--roles", "reader"),
		a("user", "grant", "alice"),
		a("user", "get", "alice"),
		a("user", "get", "root"),
		a("user", "get", "bob"),
		a("user", "revoke", "alice", "--roles", "nope"),
		a("user", "list"),
		a("role", "list"),
		// A writer role and a user holding two roles.
		a("role", "add", "writer"),
		a("role", "grant", "writer", "--path", "/d/w/*", "--write"),
		a("role", "grant", "writer", "--path", "/d/rw", "--readwrite"),
		a("role", "grant", "writer", "--path", "/d/x", "--read", "--write"),
		a("role", "revoke", "writer", "--path", "/d/nope", "--read"),
		a("role", "revoke", "writer", "--path", "/d/rw", "--rw"),
		a("role", "grant", "writer", "--path", "/d/rw", "--rw"),
		a("role", "get", "writer"),
		a("role", "grant", "root", "--path", "/x", "--read"),
		a("role", "remove", "root"),
		a("role", "get", "root"),
		a("role", "add", "root"),
		a("user", "add", "carol:c1"),
		a("user", "get", "carol"),
		a("user", "grant", "carol", "--roles", "reader,writer"),
		a("user", "grant", "carol", "--roles", "reader"),
		a("user", "get", "carol"),
		a("user", "revoke", "carol", "--roles", "writer"),
		a("user", "get", "carol"),
		a("user", "grant", "carol", "--roles", "writer"),
		a("user", "grant", "nobody", "--roles", "writer"),
		a("user", "passwd", "carol").in("c2\n"),
		a("user", "passwd", "nobody").in("x\n"),
		a("user", "list"),
		a("role", "list"),
		a("auth", "enable"),
		a("auth", "enable", "extra"),
		a("get", "/d/b"),
		a("-u", "alice:pw", "get", "/d/b"),
		a("-u", "alice:wrong", "get", "/d/b"),
		a("role", "list"),
		a("user", "list"),
		a("-u", "root:rootpw", "user", "list"),
		a("-u", "root", "get", "/d/b").in("rootpw\n"),
		a("role", "list").withEnv("ETCDCTL_USERNAME=root:rootpw"),
		// Enforcement: the default guest role, a reader that cannot write, a writer, root.
		a("set", "/d/guest", "g"),
		a("-u", "alice:pw", "set", "/d/b", "x"),
		a("-u", "alice:pw", "ls", "--sort", "/d"),
		a("-u", "alice:pw", "ls", "-r", "--sort", "/d/"),
		a("-u", "carol:c2", "set", "/d/w/k", "v"),
		a("-u", "carol:c2", "get", "/d/w/k"),
		a("-u", "carol:c2", "set", "/d/rw", "v"),
		a("-u", "carol:c2", "get", "/d/rw"),
		a("-u", "carol:c1", "get", "/d/rw"),
		a("-u", "carol:c2", "rm", "-r", "/d/w"),
		a("-u", "carol:c2", "user", "list"),
		a("-u", "carol:c2", "member", "list"),
		a("-u", "carol:c2", "member", "remove", "abc"),
		a("-u", "root:rootpw", "role", "get", "guest"),
		// Guests keep reading "/" only (the index probe between steps reads it as a guest).
		a("-u", "root:rootpw", "role", "grant", "guest", "--path", "/", "--read"),
		a("-u", "root:rootpw", "role", "revoke", "guest", "--path", "/*", "--rw"),
		a("ls", "/"),
		a("get", "/d/b"),
		a("set", "/d/guest", "h"),
		a("-u", "root:rootpw", "get", "/d/guest"),
		a("-u", "alice:pw", "get", "/d/b"),
		a("-u", "root:rootpw", "role", "grant", "guest", "--path", "/d/*", "--read"),
		a("get", "/d/b"),
		a("set", "/d/b", "y"),
		a("-u", "root:rootpw", "user", "remove", "root"),
		a("-u", "root:rootpw", "auth", "enable"),
		a("-u", "root:rootpw", "user", "get", "carol"),
		a("-u", "root:rootpw", "rm", "-r", "/d/w"),
		a("-u", "root:rootpw", "rm", "/d/guest"),
		a("auth", "disable"),
		a("--username", "root:rootpw", "auth", "disable"),
		a("auth", "disable"),
		a("user", "passwd", "bob").in("newpw\n"),
		a("user", "revoke", "alice", "--roles", "reader"),
		a("user", "remove", "alice"),
		a("user", "remove", "bob"),
		a("user", "remove", "root"),
		a("user", "remove", "nobody"),
		a("user", "remove", "carol"),
		a("role", "remove", "writer"),
		a("role", "remove", "reader"),
		a("role", "remove", "guest"),
		a("user", "get", "nobody"),
		// Global options, connections, timeouts, environment.
		a("--version").bare(),
		a("bogus"),
		a("--bogus", "get", "/d/b"),
		a("-o", "yaml", "get", "/d/b"),
		a("--debug", "get", "/d/b"),
		a("--debug", "--no-sync", "-o", "json", "get", "/d/b"),
		a("--debug", "set", "--ttl", "1000", "/d/dbg", "a b&c"),
		a("--debug", "mkdir", "/d/dbgdir"),
		a("--debug", "rm", "--recursive", "--with-index", "1", "/d/dbgdir"),
		a("--debug", "user", "list"),
		a("--endpoints", "{dead}", "get", "/d/b").bare(),
		a("--no-sync", "--endpoints", "{dead}", "get", "/d/b").bare(),
		a("--endpoints", "{dead},{dead}", "get", "/d/b").bare(),
		a("--endpoints", "{dead},{c2}", "get", "/d/b").bare(),
		a("--no-sync", "--endpoints", "{dead},{c3}", "get", "/d/b").bare(),
		a("--endpoints", "{eps}", "get", "/d/b").bare(),
		a("--timeout", "300ms", "--endpoints", "{hole}", "get", "/d/b").bare(),
		a("--total-timeout", "500ms", "--endpoints", "{hole}", "get", "/d/b").bare(),
		a("--no-sync", "--total-timeout", "300ms", "--endpoints", "{hole}", "get", "/d/b").bare(),
		a("get", "/d/b").bare().withEnv("ETCDCTL_ENDPOINTS={c2}"),
		a("--endpoints", "{c1}", "get", "/d/b").bare().withEnv("ETCDCTL_ENDPOINTS={dead}"),
		a("--peers", "{dead}", "get", "/d/b").bare().withEnv("ETCDCTL_ENDPOINT={c1}"),
		a("get", "/d/b").bare().withEnv("ETCDCTL_PEERS={c3}"),
		a("-C", "{c1}", "get", "/d/b").bare(),
		a("--endpoint", "{c2}", "get", "/d/b").bare(),
		a("--endpoints", "{c1host}", "get", "/d/b").bare(),
		a("--cert-file", "/nonexistent.crt", "--key-file", "/nonexistent.key", "get", "/d/b"),
		a("--cert-file", "/nonexistent.crt", "get", "/d/b"),
		a("--ca-file", "/nonexistent.ca", "get", "/d/b"),
		a("get", "/d/b").withEnv("ETCDCTL_CA_FILE=/nonexistent.ca"),
		a("--help").bare(),
		a("help", "member").bare(),
		a("member", "--help").bare(),
		a("set", "--help").bare(),
		// Leave the cluster as it was.
		a("rm", "--recursive", "/d"),
	}
}

// TestDifferential runs the script with the reference etcdctl (ETCDCTL_API=2) and with
// ours against the same running 3-member cluster, once per server kind, and requires
// identical stdout, stderr and exit codes after masking (indexes, IDs, TTLs, times,
// ports) except for documented [QUIRK]/[OURS] items.
func TestDifferential(t *testing.T) {
	script := differentialScript()
	if n := len(script); n < 80 {
		t.Fatalf("script has %d invocations, want at least 80", n)
	}
	for _, kind := range serverKinds() {
		t.Run(kind.name, func(t *testing.T) {
			bin := kind.binary(t)
			c := startCluster(t, bin, 3, kind.name == "ours")
			warmUpAuth(t, c.members[0].clientURL)
			vars := clusterVars(t, c)
			vars["dead"] = deadURL(t)
			vars["hole"] = blackhole(t)
			vars["newpeer"] = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
			vars["newpeer2"] = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
			vars["c1host"] = strings.TrimPrefix(vars["c1"], "http://")
			extra := []string{
				strings.TrimPrefix(vars["dead"], "http://"), "<dead>",
				strings.TrimPrefix(vars["hole"], "http://"), "<hole>",
				strings.TrimPrefix(vars["newpeer"], "http://"), "<newpeer>",
				strings.TrimPrefix(vars["newpeer2"], "http://"), "<newpeer2>",
			}

			refRes, refMask, refWrites := runScript(t, refCLI, true, c, vars, script, extra)
			ourRes, ourMask, ourWrites := runScript(t, ourCLI, false, c, vars, script, extra)
			diffs := 0
			for i, st := range script {
				want := refMask.normalize(st, refRes[i], true)
				got := ourMask.normalize(st, ourRes[i], false)
				if st.known != "" {
					if st.ourWant != "" && !strings.Contains(got.stdout+got.stderr, st.ourWant) {
						t.Errorf("step %d %s (%s): our output lacks %q:\n%s%s", i, st, st.known, st.ourWant, got.stdout, got.stderr)
					}
					continue
				}
				if ourWrites[i] != refWrites[i] {
					t.Errorf("step %d: %s: consumed %d indexes, reference %d", i, st, ourWrites[i], refWrites[i])
				}
				if got != want {
					diffs++
					t.Errorf("step %d: %s\n%s", i, st, describeDiff(got, want))
				}
			}
			t.Logf("%d invocations, %d differences", len(script), diffs)
		})
	}
}

// runScript runs script with cli and returns each step's result, the masker for them,
// and the indexes each step consumed on the cluster.
func runScript(t *testing.T, cli string, ref bool, c *cluster, vars map[string]string, script []step, extra []string) ([]result, *masker, []uint64) {
	t.Helper()
	base := c.index(t)
	last := base
	consumed := make([]uint64, len(script))
	r := newRunner(t, cli, ref, c, vars)
	start := time.Now()
	res := make([]result, len(script))
	for i, st := range script {
		t0 := time.Now()
		res[i] = r.run(st)
		if d := time.Since(t0); d > 2*time.Second {
			t.Logf("slow step %d (%v): %s", i, d.Round(time.Millisecond), st)
		}
		now := c.index(t)
		consumed[i], last = now-last, now
	}
	t.Logf("%s: %d steps in %v", cli, len(script), time.Since(start).Round(time.Millisecond))
	return res, clusterMasker(c, base, vars, r.added, extra...), consumed
}

// describeDiff shows both results of a step side by side.
func describeDiff(got, want result) string {
	var b strings.Builder
	if got.code != want.code {
		fmt.Fprintf(&b, "exit %d, reference %d\n", got.code, want.code)
	}
	if got.stdout != want.stdout {
		fmt.Fprintf(&b, "stdout:\n%s\nreference stdout:\n%s\n", indent(got.stdout), indent(want.stdout))
	}
	if got.stderr != want.stderr {
		fmt.Fprintf(&b, "stderr:\n%s\nreference stderr:\n%s\n", indent(got.stderr), indent(want.stderr))
	}
	return b.String()
}

func indent(s string) string {
	if s == "" {
		return "\t(empty)"
	}
	return "\t| " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n\t| ")
}

// warmUpAuth runs through the auth flow once over HTTP. The first auth write of a
// cluster creates the auth directories (consuming indexes), so without this the first
// of the two script runs would write more than the second.
func warmUpAuth(t *testing.T, ep string) {
	t.Helper()
	reqs := []struct{ method, path, body, user string }{
		{"PUT", "/v2/auth/users/root", `{"user":"root","password":"pw"}`, ""},
		{"PUT", "/v2/auth/enable", "", ""},
		{"DELETE", "/v2/auth/enable", "", "root"},
		{"DELETE", "/v2/auth/users/root", "", ""},
		{"DELETE", "/v2/auth/roles/guest", "", ""},
	}
	for _, r := range reqs {
		req, err := http.NewRequest(r.method, ep+r.path, strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if r.user != "" {
			req.SetBasicAuth(r.user, "pw")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			// A server without v2 auth yet: both CLIs print its answers.
			t.Logf("auth warm-up: %s %s: %s", r.method, r.path, resp.Status)
			return
		}
	}
}
