package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// step is one etcdctl invocation of a scenario. Arguments, stdin and environment may
// hold {placeholders} (see runner.vars).
type step struct {
	args  []string
	stdin string
	env   []string
	// noEndpoints leaves out the implicit `--endpoints {ep}` put before args.
	noEndpoints bool
	// untilLines makes a long-running step (watch --forever, exec-watch,
	// cluster-health --forever): once stdout has that many lines, or the step's time is
	// up, it gets SIGINT (Ctrl-C).
	untilLines int
	// wait bounds the wait for untilLines lines (default stepTimeout).
	wait time.Duration
	// start runs the step in the background under this name and waits until the
	// cluster counts one more watcher; a later step with the same finish name collects
	// it (after untilLines lines) as its own result.
	start, finish string
	// captureIdx makes the last "Index: N" printed the value of {idx} for later steps.
	captureIdx bool
	// sortStdout compares stdout with its lines sorted: the commands exec-watch starts
	// run concurrently, and the reference lists directories in random order.
	sortStdout bool
	// known names a documented difference (SPEC [QUIRK]/[OURS]): the step is run but
	// not compared, and ourWant, when set, must appear in our stdout or stderr.
	known, ourWant string
}

func (s step) String() string {
	var b strings.Builder
	for _, e := range s.env {
		b.WriteString(e + " ")
	}
	b.WriteString("etcdctl " + strings.Join(quoteArgs(s.args), " "))
	if s.stdin != "" {
		fmt.Fprintf(&b, " <<< %q", s.stdin)
	}
	return b.String()
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$*?|&;<>()\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// result is what an invocation printed and its exit status (-1: killed by the test).
type result struct {
	stdout, stderr string
	code           int
}

// runner runs steps with one etcdctl binary against one cluster.
type runner struct {
	t       *testing.T
	cli     string
	ref     bool // the reference needs ETCDCTL_API=2
	cluster *cluster
	vars    map[string]string
	bg      map[string]*exec.Cmd
	bgOut   map[string]*lockedBuffer
	bgErr   map[string]*lockedBuffer
	home    string
	added   []string // IDs of the members added so far
}

// stepTimeout bounds every invocation, watches included.
const stepTimeout = 20 * time.Second

func newRunner(t *testing.T, cli string, ref bool, c *cluster, vars map[string]string) *runner {
	r := &runner{t: t, cli: cli, ref: ref, cluster: c, vars: map[string]string{},
		bg: map[string]*exec.Cmd{}, bgOut: map[string]*lockedBuffer{}, bgErr: map[string]*lockedBuffer{}, home: t.TempDir()}
	for k, v := range vars {
		r.vars[k] = v
	}
	return r
}

func (r *runner) expand(s string) string {
	for k, v := range r.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func (r *runner) command(st step) (*exec.Cmd, *lockedBuffer, *lockedBuffer) {
	var args []string
	if !st.noEndpoints {
		args = append(args, "--endpoints", r.vars["ep"])
	}
	for _, a := range st.args {
		args = append(args, r.expand(a))
	}
	cmd := exec.Command(r.cli, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.home, "LANG=C"}
	if r.ref {
		cmd.Env = append(cmd.Env, "ETCDCTL_API=2")
	}
	for _, e := range st.env {
		cmd.Env = append(cmd.Env, r.expand(e))
	}
	cmd.Stdin = strings.NewReader(r.expand(st.stdin))
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	return cmd, out, errb
}

// run executes one step and returns its result, capturing {idx} (the last "Index:"
// printed) and {newid} (a member just added) for later steps.
func (r *runner) run(st step) result {
	r.t.Helper()
	if st.finish != "" {
		return r.collect(st)
	}
	if len(st.args) > 1 && st.args[0] == "member" && st.args[1] != "list" {
		r.cluster.awaitReconfigurable()
	}
	cmd, out, errb := r.command(st)
	if st.start != "" {
		before := r.watchers()
		if err := cmd.Start(); err != nil {
			r.t.Fatalf("%s: %v", st, err)
		}
		r.bg[st.start], r.bgOut[st.start], r.bgErr[st.start] = cmd, out, errb
		r.t.Cleanup(func() { stopProcess(cmd) })
		if !waitFor(stepTimeout, func() bool { return r.watchers() > before }) {
			r.t.Errorf("%s: no watcher registered", st)
		}
		return result{}
	}
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("%s: %v", st, err)
	}
	return r.finishProcess(st, cmd, out, errb)
}

func (r *runner) collect(st step) result {
	cmd, ok := r.bg[st.finish]
	if !ok {
		r.t.Fatalf("%s: no background step %q", st, st.finish)
	}
	delete(r.bg, st.finish)
	return r.finishProcess(st, cmd, r.bgOut[st.finish], r.bgErr[st.finish])
}

// finishProcess waits for the process, interrupting long-running steps once they have
// printed what they should.
func (r *runner) finishProcess(st step, cmd *exec.Cmd, out, errb *lockedBuffer) result {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if st.untilLines > 0 {
		wait := st.wait
		if wait == 0 {
			wait = stepTimeout
		}
		waitFor(wait, func() bool { return strings.Count(out.String(), "\n") >= st.untilLines })
		cmd.Process.Signal(os.Interrupt)
	}
	code := 0
	select {
	case err := <-done:
		code = cmd.ProcessState.ExitCode()
		if err != nil && code == 0 {
			code = -1
		}
	case <-time.After(stepTimeout):
		cmd.Process.Kill()
		<-done
		code = -1
	}
	res := result{stdout: out.String(), stderr: errb.String(), code: code}
	if m := indexLine.FindAllStringSubmatch(res.stdout, -1); st.captureIdx && len(m) > 0 {
		r.vars["idx"] = m[len(m)-1][1]
	}
	if m := addedMember.FindStringSubmatch(res.stdout); m != nil {
		r.vars["newid"] = m[1]
		r.added = append(r.added, m[1])
	}
	return res
}

var (
	indexLine   = regexp.MustCompile(`(?m)^Index: (\d+)$`)
	addedMember = regexp.MustCompile(`with ID ([0-9a-f]+) to cluster`)
)

func stopProcess(cmd *exec.Cmd) {
	if cmd.ProcessState == nil && cmd.Process != nil {
		cmd.Process.Signal(syscall.SIGKILL)
	}
}

// watchers sums the watchers of every member (/v2/stats/store).
func (r *runner) watchers() int {
	n := 0
	for _, m := range r.cluster.members {
		resp, err := r.cluster.hc.Get(m.clientURL + "/v2/stats/store")
		if err != nil {
			continue
		}
		var st struct {
			Watchers int `json:"watchers"`
		}
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		n += st.Watchers
	}
	return n
}

// masker normalizes what legitimately differs between two runs of one scenario:
// indexes become offsets from the index at the scenario's start, remaining TTLs are
// rounded up to tens, expiration times hidden; ports and member IDs get names; in
// --debug lines the member a request went to (chosen at random, as by the reference)
// is hidden and endpoint lists are sorted.
type masker struct {
	base    uint64
	names   *strings.Replacer
	clients []string // names of the members' client URLs, e.g. "<c1>"
}

func newMasker(base uint64, pairs ...string) *masker {
	return &masker{base: base, names: strings.NewReplacer(pairs...)}
}

var (
	indexFields = []*regexp.Regexp{
		regexp.MustCompile(`\b(?:Created-Index|Modified-Index|Index): (\d+)`),
		regexp.MustCompile(`"(?:createdIndex|modifiedIndex)":(\d+)`),
		regexp.MustCompile(`(?m)^Error:  \d+: .*\[(\d+)\]$`),
		regexp.MustCompile(`\b(?:waitIndex|prevIndex)=(\d+)`),
		regexp.MustCompile(`\bidx=(\d+)`),
		regexp.MustCompile(`/(\d{20})\b`),
		regexp.MustCompile(`Compare failed \(\[\S* != (\d+)\]\)`),
	}
	ttlFields      = regexp.MustCompile(`(\bTTL: |"ttl":)(\d+)`)
	expiration     = regexp.MustCompile(`"expiration":"[^"]*"`)
	debugLine      = regexp.MustCompile(`(?m)^(cURL Command: curl -X \w+ |start to sync cluster using endpoints\(|got endpoints\(|Cluster-Endpoints: )(.*)$`)
	initialCluster = regexp.MustCompile(`ETCD_INITIAL_CLUSTER="([^"]*)"`)
	sttyNoise      = regexp.MustCompile(`(?m)^stty: 'standard input': Inappropriate ioctl for device\n`)
)

func (m *masker) mask(s string) string {
	s = m.names.Replace(s)
	s = debugLine.ReplaceAllStringFunc(s, func(line string) string {
		sub := debugLine.FindStringSubmatch(line)
		prefix, rest := sub[1], sub[2]
		for _, c := range m.clients {
			rest = strings.ReplaceAll(rest, c, "<c*>")
		}
		if strings.HasPrefix(prefix, "cURL") {
			return prefix + rest
		}
		list, tail, closed := strings.Cut(rest, ")")
		sep := ","
		if prefix == "Cluster-Endpoints: " {
			sep = ", "
		}
		parts := strings.Split(list, sep)
		slices.Sort(parts)
		rest = strings.Join(parts, sep)
		if closed {
			rest += ")" + tail
		}
		return prefix + rest
	})
	for _, re := range indexFields {
		s = replaceGroup(s, re, func(v string) string {
			// Smaller numbers are literals of the script (--with-index 1), not indexes.
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n == 0 || n < m.base {
				return v
			}
			return fmt.Sprintf("<I%+d>", int64(n)-int64(m.base))
		})
	}
	s = replaceGroupN(s, ttlFields, 2, func(v string) string {
		n, _ := strconv.Atoi(v)
		if n == 0 {
			return v
		}
		return fmt.Sprintf("~%d", (n+9)/10*10)
	})
	s = expiration.ReplaceAllString(s, `"expiration":"<time>"`)
	// Members are listed in ID order, and an added member's ID is random.
	return initialCluster.ReplaceAllStringFunc(s, func(line string) string {
		v := initialCluster.FindStringSubmatch(line)[1]
		parts := strings.Split(v, ",")
		slices.Sort(parts)
		return `ETCD_INITIAL_CLUSTER="` + strings.Join(parts, ",") + `"`
	})
}

// replaceGroup rewrites the first capture group of every match of re.
func replaceGroup(s string, re *regexp.Regexp, f func(string) string) string {
	return replaceGroupN(s, re, 1, f)
}

func replaceGroupN(s string, re *regexp.Regexp, group int, f func(string) string) string {
	var b bytes.Buffer
	last := 0
	for _, loc := range re.FindAllStringSubmatchIndex(s, -1) {
		start, end := loc[2*group], loc[2*group+1]
		b.WriteString(s[last:start])
		b.WriteString(f(s[start:end]))
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// normalize applies the masker and the step's ordering rule to a result.
func (m *masker) normalize(st step, res result, ref bool) result {
	out := result{stdout: m.mask(res.stdout), stderr: m.mask(res.stderr), code: res.code}
	if ref {
		// [OURS] the reference runs stty on a piped stdin, which complains.
		out.stderr = sttyNoise.ReplaceAllString(out.stderr, "")
	}
	if st.sortStdout {
		lines := strings.SplitAfter(out.stdout, "\n")
		slices.Sort(lines)
		out.stdout = strings.Join(lines, "")
	}
	return out
}

// clusterVars are the placeholders of a cluster: {ep} and {c1}... (client URLs), {p1}...
// (peer URLs), {eps} (all client URLs), {id1}... and {name1}... (members by name).
func clusterVars(t *testing.T, c *cluster) map[string]string {
	t.Helper()
	vars := map[string]string{"ep": c.members[0].clientURL, "eps": strings.Join(c.clientURLs(), ",")}
	for i, m := range c.members {
		vars[fmt.Sprintf("c%d", i+1)] = m.clientURL
		vars[fmt.Sprintf("p%d", i+1)] = m.peerURL
	}
	resp, err := c.hc.Get(c.members[0].clientURL + "/v2/members")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Members []struct{ ID, Name string } }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Members {
		for i, cm := range c.members {
			if cm.name == m.Name {
				vars[fmt.Sprintf("id%d", i+1)] = m.ID
			}
		}
	}
	return vars
}

// clusterMasker names the cluster's ports and member IDs, and the IDs of members the
// scenario added.
func clusterMasker(c *cluster, base uint64, vars map[string]string, added []string, extra ...string) *masker {
	var pairs []string
	var clients []string
	for i, m := range c.members {
		n := i + 1
		pairs = append(pairs,
			fmt.Sprintf("127.0.0.1:%d", m.clientPort), fmt.Sprintf("<c%d>", n),
			fmt.Sprintf("127.0.0.1:%d", m.peerPort), fmt.Sprintf("<p%d>", n))
		if id := vars[fmt.Sprintf("id%d", n)]; id != "" {
			pairs = append(pairs, id, fmt.Sprintf("<id%d>", n))
		}
		clients = append(clients, fmt.Sprintf("<c%d>", n))
	}
	for i, id := range added {
		pairs = append(pairs, id, fmt.Sprintf("<new%d>", i+1))
	}
	m := newMasker(base, append(pairs, extra...)...)
	m.clients = clients
	return m
}
