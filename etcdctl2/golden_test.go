package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// formats runs args (after the global options) in each output format.
func formats(args ...string) []step {
	var out []step
	for _, f := range []string{"simple", "extended", "json"} {
		out = append(out, a(append([]string{"-o", f}, args...)...))
	}
	return out
}

// join concatenates step lists.
func join(parts ...any) []step {
	var out []step
	for _, p := range parts {
		switch p := p.(type) {
		case step:
			out = append(out, p)
		case []step:
			out = append(out, p...)
		}
	}
	return out
}

// goldenFiles are the golden scenarios, one file per command (testdata/golden/<name>.txt):
// every command in every output format, succeeding and failing. Each runs on a fresh
// single-member server.
func goldenFiles() map[string][]step {
	return map[string][]step{
		"set": join(
			formats("set", "/g/a", "1"),
			formats("set", "--ttl", "100", "/g/t", "v"),
			formats("set", "--swap-with-value", "nope", "/g/a", "2"),
			formats("set", "--swap-with-index", "1", "/g/a", "2"),
			a("-o", "extended", "get", "/g/a").capture(),
			formats("set", "--swap-with-index", "{idx}", "/g/a", "2"),
			formats("set", "--swap-with-value", "2", "/g/a", "3"),
			formats("set", "/g", "x"),
			a("set", "/g/b", "flags after", "--ttl", "50"),
			a("set", "--", "/g/dash", "-v"),
			a("set", "/g/stdin").in("from stdin\n"),
			a("set", "/g/empty", ""),
			a("set", "/g/nostdin"),
			a("set"),
			a("set", "--ttl", "abc", "/g/a", "1"),
			a("set", "/g/a", "1", "--bogus"),
		),
		"get": join(
			a("set", "/g/a", "<&>é"),
			a("mkdir", "/g/d"),
			formats("get", "/g/a"),
			formats("get", "/g/d"),
			formats("get", "/g/missing"),
			formats("get", "--sort", "--quorum", "/g/a"),
			a("get", "-q", "/g/./x/../a"),
			a("get", "/g/d/"),
			a("get"),
		),
		"mk": join(
			formats("mk", "/g/a", "1"),
			formats("mk", "/g/new", "v"),
			formats("mk", "--in-order", "/g/q", "job"),
			formats("mk", "--in-order", "--ttl", "100", "/g/q", "job"),
			formats("mk", "--in-order", "/g/new", "x"),
			a("mk", "--ttl", "100", "/g/t", "v"),
			a("mk", "/g/stdin").in("piped"),
			a("mk", "/g/b"),
			a("mk"),
		),
		"mkdir": join(
			formats("mkdir", "/g/d1"),
			formats("mkdir", "--ttl", "100", "/g/d2"),
			a("mkdir", "/g/d1"),
			a("-o", "json", "mkdir", "/g/d1"),
			a("mkdir"),
		),
		"setdir": join(
			formats("setdir", "/g/d"),
			a("set", "/g/f", "file"),
			formats("setdir", "/g/f"),
			formats("setdir", "--ttl", "100", "/g/t"),
			a("setdir"),
		),
		"update": join(
			a("set", "--ttl", "100", "/g/a", "0"),
			formats("update", "/g/a", "1"),
			formats("update", "--ttl", "100", "/g/a", "2"),
			formats("update", "/g/missing", "1"),
			a("mkdir", "/g/d"),
			formats("update", "/g/d", "1"),
			a("update", "/g/a").in("stdin\n"),
			a("update", "/g/a"),
			a("update"),
		),
		"updatedir": join(
			a("mkdir", "/g/d"),
			formats("updatedir", "/g/d"),
			formats("updatedir", "--ttl", "100", "/g/d"),
			formats("updatedir", "/g/missing"),
			a("set", "/g/f", "v"),
			formats("updatedir", "/g/f"),
			a("updatedir"),
		),
		"rm": join(
			a("set", "/g/f1", "1"), a("set", "/g/f2", "2"), a("set", "/g/f3", "3"),
			a("mkdir", "/g/d1"), a("mkdir", "/g/d2"), a("mkdir", "/g/d3"),
			a("mk", "/g/full/x", "1"),
			a("rm", "/g/f1"),
			a("-o", "extended", "rm", "/g/f2"),
			a("-o", "json", "rm", "/g/f3"),
			formats("rm", "/g/f1"),
			formats("rm", "/g/d1"),
			a("rm", "--dir", "/g/d1"),
			a("-o", "extended", "rm", "--dir", "/g/d2"),
			a("-o", "json", "rm", "--dir", "/g/d3"),
			formats("rm", "--dir", "/g/full"),
			a("set", "/g/c", "v"),
			formats("rm", "--with-value", "nope", "/g/c"),
			formats("rm", "--with-index", "1", "/g/c"),
			a("rm", "--with-value", "v", "/g/c"),
			a("-o", "json", "rm", "-r", "/g/full"),
			a("rm", "/g"),
			a("rm"),
		),
		"rmdir": join(
			a("mkdir", "/g/d1"), a("mkdir", "/g/d2"), a("mkdir", "/g/d3"),
			a("set", "/g/full/x", "1"),
			a("set", "/g/f", "1"),
			a("rmdir", "/g/d1"),
			a("-o", "extended", "rmdir", "/g/d2"),
			a("-o", "json", "rmdir", "/g/d3"),
			formats("rmdir", "/g/full"),
			formats("rmdir", "/g/missing"),
			formats("rmdir", "/g/f"),
			a("rmdir"),
		),
		"ls": join(
			a("set", "/g/b", "1"), a("set", "/g/a", "2"),
			a("mkdir", "/g/d"), a("set", "/g/d/x", "3"), a("mkdir", "/g/d/sub"),
			a("mkdir", "/g/empty"),
			formats("ls", "--sort", "/g"),
			a("ls", "-r", "--sort", "/g"),
			a("ls", "-r", "-p", "--sort", "/g"),
			a("ls", "-p", "--sort", "-q", "/g"),
			a("ls", "/g").sorted(),
			a("ls", "--sort"),
			formats("ls", "/g/a"),
			formats("ls", "/g/empty"),
			formats("ls", "/g/missing"),
			a("-o", "json", "ls", "-r", "--sort", "/g/d"),
		),
		"watch": join(
			a("-o", "extended", "set", "/g/start", "0").capture(),
			a("set", "/g/w/x", "1"),
			a("mkdir", "/g/w/d"),
			a("update", "/g/w/x", "2"),
			a("rm", "/g/w/x"),
			formats("watch", "--after-index", "{idx}", "/g/w/x"),
			formats("watch", "-r", "--after-index", "{idx}", "/g/w"),
			a("watch", "--forever", "-r", "--after-index", "{idx}", "/g/w").until(6),
			a("-o", "extended", "watch", "-f", "--after-index", "{idx}", "/g/w/x").until(21),
			a("watch", "/g/w/x", "--after-index", "{idx}"),
			a("watch", "--after-index", "1", "/g/w/x"),
			a("watch"),
		),
		"exec-watch": join(
			a("-o", "extended", "set", "/g/start", "0").capture(),
			a("set", "/g/w/x", "1"),
			a("mkdir", "/g/w/d"),
			a("rm", "/g/w/x"),
			a("exec-watch", "--after-index", "{idx}", "-r", "/g/w", "--", "sh", "-c", echoEvent).until(2).sorted(),
			a("-o", "json", "exec-watch", "--after-index", "{idx}", "sh", "-c", echoEvent, "/g/w/x").until(2).sorted(),
			a("exec-watch", "--after-index", "{idx}", "/nonexistent/command", "/g/w/x"),
			a("exec-watch", "/g/w"),
			a("exec-watch"),
		),
		"member": join(
			formats("member", "list"),
			a("member", "list", "x"),
			a("member", "add"),
			a("member", "add", "n2"),
			a("member", "add", "n2", "foo"),
			a("member", "add", "n2", "http://127.0.0.1"),
			a("member", "add", "n2", "http://127.0.0.1:1/path"),
			a("member", "add", "n2", "{p1}"),
			a("member", "update", "{id1}"),
			a("member", "update", "{id1}", "foo"),
			a("member", "update", "ffff", "http://127.0.0.1:1"),
			a("member", "update", "{id1}", "{p1}"),
			a("member", "remove"),
			a("member", "remove", "n1"),
			a("member", "remove", "abc"),
			a("member", "bogus"),
		),
		"cluster-health": join(
			formats("cluster-health"),
			a("cluster-health", "-f").until(4),
			a("--endpoints", "{dead}", "cluster-health").bare(),
			a("--debug", "cluster-health"),
		),
		"user": join(
			formats("user", "list"),
			a("user", "add", "root:pw"),
			a("user", "add", "alice:pw"),
			a("user", "add", "bob").in("secret\n"),
			a("user", "add", "alice:pw"),
			a("user", "add"),
			a("role", "add", "r1"),
			a("role", "add", "r2"),
			a("user", "grant", "alice", "--roles", "r1"),
			a("user", "grant", "--roles", "r2", "bob"),
			a("user", "grant", "--roles", "r1", "--roles", "r2", "root"),
			a("user", "grant", "alice"),
			a("user", "grant", "--roles", "r1"),
			a("user", "grant", "alice", "--roles", "nope"),
			formats("user", "get", "alice"),
			a("user", "get", "root"),
			a("user", "get", "bob"),
			a("user", "get", "nobody"),
			a("user", "revoke", "alice", "--roles", "r1"),
			a("user", "revoke", "alice", "--roles", "r1"),
			a("user", "get", "alice"),
			a("user", "passwd", "alice").in("newpw\n"),
			a("user", "passwd", "nobody").in("newpw\n"),
			a("user", "list"),
			a("user", "remove", "bob"),
			a("user", "remove", "bob"),
			a("user", "list", "x"),
		),
		"role": join(
			formats("role", "list"),
			a("role", "add", "r1"),
			a("role", "add", "r1"),
			a("role", "add", "root"),
			a("role", "add"),
			a("role", "grant", "r1", "--path", "/a/*", "--readwrite"),
			a("role", "grant", "r1", "--path", "/b", "--read"),
			a("role", "grant", "r1", "--path", "/c", "--write"),
			a("role", "grant", "r1", "--path", "/b", "--read"),
			a("role", "grant", "r1", "--path", "/b/../c", "--read"),
			a("role", "grant", "r1", "--path", "/b", "--read", "--write"),
			a("role", "grant", "r1", "--read"),
			a("role", "grant", "nope", "--path", "/b", "--read"),
			a("role", "grant", "root", "--path", "/b", "--read"),
			formats("role", "get", "r1"),
			a("role", "get", "root"),
			a("role", "get", "nope"),
			a("role", "revoke", "r1", "--path", "/a/*", "--write"),
			a("role", "revoke", "r1", "--path", "/zzz", "--rw"),
			a("role", "get", "r1"),
			a("role", "list"),
			a("role", "remove", "r1"),
			a("role", "remove", "r1"),
			a("role", "list", "x"),
		),
		"auth": join(
			a("auth", "enable"),
			a("user", "add", "root:pw"),
			a("user", "add", "u:upw"),
			a("auth", "enable", "x"),
			formats("auth", "enable"),
			a("get", "/g/x"),
			a("set", "/g/x", "guest"),
			a("-u", "root:pw", "get", "/g/x"),
			a("-u", "root:bad", "get", "/g/x"),
			a("-u", "u:upw", "role", "list"),
			a("user", "list"),
			a("-u", "root:pw", "user", "list"),
			a("-u", "root", "user", "list").in("pw\n"),
			a("user", "list").withEnv("ETCDCTL_USERNAME=root:pw"),
			a("--username", "u:upw", "auth", "disable"),
			formats("auth", "disable"),
			a("-u", "root:pw", "auth", "disable"),
			a("-u", "root:pw", "auth", "disable"),
			a("role", "list"),
		),
		"options": join(
			a("--version").bare(),
			a("-v").bare(),
			a("bogus").bare(),
			a("--bogus", "get", "/g").bare(),
			a("--output", "yaml", "set", "/g/a", "1"),
			a("-o", "yaml", "get", "/g/missing"),
			a("--debug", "set", "/g/a", "a b&c"),
			a("--debug", "-o", "json", "--no-sync", "get", "/g/a"),
			a("--debug", "mkdir", "--ttl", "100", "/g/d"),
			a("--debug", "rm", "--dir", "/g/d"),
			a("--debug", "mk", "--in-order", "/g/q", "v"),
			a("--debug", "watch", "--after-index", "1", "/g/a"),
			a("--debug", "member", "list"),
			a("--debug", "role", "list"),
			a("--endpoints", "{dead}", "get", "/g/a").bare(),
			a("--endpoints", "{dead}", "member", "list").bare(),
			a("--endpoints", "{dead}", "user", "list").bare(),
			a("--no-sync", "--endpoints", "{dead}", "get", "/g/a").bare(),
			a("--no-sync", "--endpoints", "{dead},{dead}", "set", "/g/a", "1").bare(),
			a("--endpoints", "{dead},{ep}", "get", "/g/a").bare(),
			a("--no-sync", "--endpoints", "{dead},{dead}", "rm", "/g/a").bare(),
			a("--timeout", "200ms", "--endpoints", "{hole}", "get", "/g/a").bare(),
			a("--total-timeout", "300ms", "--endpoints", "{hole}", "get", "/g/a").bare(),
			a("--no-sync", "--total-timeout", "300ms", "--endpoints", "{hole}", "get", "/g/a").bare(),
			a("--timeout", "abc", "get", "/g/a"),
			a("get", "/g/a").bare().withEnv("ETCDCTL_ENDPOINTS={ep}"),
			a("get", "/g/a").bare().withEnv("ETCDCTL_ENDPOINT={ep}", "ETCDCTL_PEERS={dead}"),
			a("--peers", "{ep}", "get", "/g/a").bare().withEnv("ETCDCTL_PEERS={dead}"),
			a("--endpoint", "{dead}", "get", "/g/a").bare().withEnv("ETCDCTL_ENDPOINTS={ep}"),
			a("-C", "{ep}", "get", "/g/a").bare(),
			a("--endpoints", "{ephost}", "get", "/g/a").bare(),
			a("--endpoints", "", "get", "/g/a").bare().withEnv("ETCDCTL_ENDPOINTS={dead}"),
			a("--cert-file", "/nonexistent.crt", "get", "/g/a"),
			a("--key-file", "/nonexistent.key", "get", "/g/a"),
			a("--cert-file", "/nonexistent.crt", "--key-file", "/nonexistent.key", "get", "/g/a"),
			a("--ca-file", "/nonexistent.ca", "get", "/g/a"),
			a("get", "/g/a").withEnv("ETCDCTL_CERT_FILE=/nonexistent.crt", "ETCDCTL_KEY_FILE=/nonexistent.key"),
			a("--ca-file", "/dev/null", "get", "/g/a"),
		),
		"help": join(
			a().bare(), a("--help").bare(), a("-h", "set").bare(), a("help").bare(), a("h").bare(),
			a("help", "help").bare(), a("help", "bogus").bare(), a("help", "-x").bare(),
			a("member").bare(), a("member", "--help").bare(), a("member", "help").bare(), a("member", "h", "add").bare(),
			a("member", "-h", "list").bare(), a("member", "--bogus").bare(),
			a("user", "help", "grant").bare(), a("role").bare(), a("auth").bare(), a("help", "auth").bare(),
			a("backup", "--help").bare(), a("cluster-health", "-h").bare(), a("mk", "--help").bare(),
			a("mkdir", "--help").bare(), a("rm", "--help").bare(), a("rmdir", "--help").bare(),
			a("get", "--help").bare(), a("ls", "--help").bare(), a("set", "--help").bare(),
			a("setdir", "--help").bare(), a("update", "--help").bare(), a("updatedir", "--help").bare(),
			a("watch", "--help").bare(), a("exec-watch", "--help").bare(), a("member", "list", "--help").bare(),
			a("member", "add", "-h").bare(), a("member", "remove", "-h").bare(), a("member", "update", "-h").bare(),
			a("user", "add", "-h").bare(), a("user", "grant", "-h").bare(), a("role", "grant", "-h").bare(),
			a("role", "revoke", "-h").bare(), a("auth", "enable", "-h").bare(),
			a("set", "-h", "--ttl", "x").bare(), a("ls", "-x").bare(),
		),
	}
}

// TestGolden runs every golden scenario with our etcdctl on a fresh single-member
// reference server and compares the normalized transcript with testdata/golden. With
// -update it records the transcripts from the reference etcdctl instead.
func TestGolden(t *testing.T) {
	needReference(t, *update)
	for name, script := range goldenFiles() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := startCluster(t, refEtcd, 1, false)
			vars := clusterVars(t, c)
			vars["dead"] = deadURL(t)
			vars["hole"] = blackhole(t)
			vars["ephost"] = strings.TrimPrefix(vars["ep"], "http://")
			extra := []string{
				strings.TrimPrefix(vars["dead"], "http://"), "<dead>",
				strings.TrimPrefix(vars["hole"], "http://"), "<hole>",
			}
			cli, ref := ourCLI, false
			if *update {
				cli, ref = refCLI, true
			}
			res, m, _ := runScript(t, cli, ref, c, vars, script, extra)
			got := transcript(name, script, res, m, ref)
			path := filepath.Join("testdata", "golden", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (record it with -update)", err)
			}
			compareTranscripts(t, got, string(want))
		})
	}
}

// transcript renders a scenario's normalized results: each invocation, then its stdout
// lines (1>), stderr lines (2>) and exit status.
func transcript(name string, script []step, res []result, m *masker, ref bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: recorded from etcdctl 3.4.23 (ETCDCTL_API=2); go test ./etcdctl2 -run TestGolden -update\n", name)
	for i, st := range script {
		r := m.normalize(st, res[i], ref)
		fmt.Fprintf(&b, "\n$ %s\n", st)
		writeStream(&b, "1> ", r.stdout)
		writeStream(&b, "2> ", r.stderr)
		fmt.Fprintf(&b, "exit %d\n", r.code)
	}
	return b.String()
}

func writeStream(b *strings.Builder, prefix, s string) {
	if s == "" {
		return
	}
	body, complete := strings.CutSuffix(s, "\n")
	for _, line := range strings.Split(body, "\n") {
		b.WriteString(prefix + line + "\n")
	}
	if !complete {
		b.WriteString(`\ no newline` + "\n")
	}
}

// compareTranscripts reports the invocations whose transcripts differ.
func compareTranscripts(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n$ "), strings.Split(want, "\n$ ")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gi, wi string
		if i < len(g) {
			gi = g[i]
		}
		if i < len(w) {
			wi = w[i]
		}
		if gi != wi {
			t.Errorf("transcript differs:\n--- ours\n$ %s\n--- golden\n$ %s", gi, wi)
		}
	}
}
