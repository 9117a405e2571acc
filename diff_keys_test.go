package main

// The scripted differential suites: every testdata/diff/*.txt runs on fresh servers, ours
// against the reference (see harness_test.go), and must show no difference except at steps
// marked as expected.
//
// Script format, one step per line (blank lines and lines starting with # are ignored):
//
//	METHOD TARGET [BODY] [@option…] [-> NAME]   one request, whole response compared
//	                                            (=> NAME instead of -> NAME: see below)
//	watch NAME METHOD TARGET [BODY] [@option…]  start a long poll; status and headers compared
//	collect NAME [N]                            what watch NAME received: the whole body, or
//	                                            the first N events of a stream (deadline 3s)
//	repeat N METHOD TARGET [BODY] [@option…]    N requests, {n} = 1..N, four at a time;
//	                                            only the status histogram is compared
//	await COND METHOD TARGET [@option…]         repeat until COND (status=NNN, or noexp: no
//	                                            expiration in the body), compare the last
//	expect OURS|QUIRK REASON                    the next step may differ, for REASON
//
// TARGET is path and query, sent as written (percent escapes, `//`). BODY is sent verbatim
// with Content-Type application/x-www-form-urlencoded; it cannot contain spaces (write %20);
// '' sends an empty body. Options: @ct=TYPE (Content-Type), @h=Name:Value (a request
// header), @user=NAME:PASSWORD (HTTP Basic credentials), @shape (compare the JSON shape
// only), @mask=f1,f2 (mask those JSON fields), @big=N (the body is `value=` and N bytes,
// instead of BODY).
// `-> NAME` saves the step's result index (the node's modifiedIndex, else X-Etcd-Index);
// `=> NAME` saves its X-Etcd-Index.
// Placeholders, resolved per server: {base+N}, {NAME}, {NAME+N}, {NAME-N}, and {#K} for the
// result index of step K (0-based, counting every step line of the file); {NAME:20} (any of
// them with :20) writes the index as the 20-digit name of an in-order key; {peer_url} is the
// server's own peer URL.

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDiffKeys runs the scripted suites of testdata/diff against both servers.
func TestDiffKeys(t *testing.T) {
	requireReference(t)
	files, err := filepath.Glob(filepath.Join("testdata", "diff", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/diff: %v", err)
	}
	total := 0
	for _, f := range files {
		steps, err := parseScriptFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(steps)
		t.Run(filepath.Base(f), func(t *testing.T) {
			withDiffPairs(t, func(t *testing.T, p diffPair) {
				start := time.Now()
				r := newDiffRunner(t, p)
				for _, st := range steps {
					r.run(st)
				}
				r.finish(start)
			})
		})
	}
	t.Logf("%d scripted steps in %d files", total, len(files))
}

// parseScriptFile reads one script.
func parseScriptFile(path string) ([]step, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseScript(filepath.Base(path), string(b))
}

// parseScript parses the script format described at the top of this file.
func parseScript(name, text string) ([]step, error) {
	var steps []step
	expect := ""
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		source := fmt.Sprintf("%s:%d", name, i+1)
		if rest, ok := strings.CutPrefix(line, "expect "); ok {
			kind, reason, _ := strings.Cut(rest, " ")
			if kind != "OURS" && kind != "QUIRK" || reason == "" {
				return nil, fmt.Errorf("%s: want `expect OURS|QUIRK reason`", source)
			}
			expect = "[" + kind + "] " + reason
			continue
		}
		st, err := parseStep(strings.Fields(line))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		st.source, st.expect, expect = source, expect, ""
		steps = append(steps, st)
	}
	if expect != "" {
		return nil, fmt.Errorf("%s: expect line without a step after it", name)
	}
	return steps, nil
}

// parseStep parses the words of one step line.
func parseStep(w []string) (step, error) {
	var st step
	var err error
	switch w[0] {
	case "watch", "await":
		if len(w) < 4 {
			return st, fmt.Errorf("%s needs a name or condition, a method and a target", w[0])
		}
		st.kind = stepWatch
		st.name = w[1]
		if w[0] == "await" {
			st.kind, st.name, st.cond = stepAwait, "", w[1]
			if w[1] != "noexp" && !strings.HasPrefix(w[1], "status=") {
				return st, fmt.Errorf("unknown await condition %q", w[1])
			}
		}
		w = w[2:]
	case "collect":
		if len(w) < 2 {
			return st, fmt.Errorf("want `collect NAME [N]`")
		}
		st.kind, st.name = stepCollect, w[1]
		if len(w) > 2 {
			st.count, err = strconv.Atoi(w[2])
		}
		if len(w) > 3 || err != nil || st.count < 0 {
			return st, fmt.Errorf("want `collect NAME [N]`")
		}
		return st, nil
	case "repeat":
		if len(w) < 3 {
			return st, fmt.Errorf("want `repeat N METHOD TARGET …`")
		}
		st.kind = stepRepeat
		if st.count, err = strconv.Atoi(w[1]); err != nil || st.count < 1 {
			return st, fmt.Errorf("repeat count %q", w[1])
		}
		w = w[2:]
	}
	if len(w) < 2 {
		return st, fmt.Errorf("want METHOD TARGET")
	}
	st.method, st.target = w[0], w[1]
	if strings.ToUpper(st.method) != st.method || !strings.HasPrefix(st.target, "/") {
		return st, fmt.Errorf("bad method %q or target %q", st.method, st.target)
	}
	rest := w[2:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "@") && rest[0] != "->" && rest[0] != "=>" {
		st.body, st.hasBody = rest[0], true
		if st.body == "''" {
			st.body = ""
		}
		rest = rest[1:]
	}
	for i := 0; i < len(rest); i++ {
		opt := rest[i]
		switch {
		case (opt == "->" || opt == "=>") && i == len(rest)-2:
			st.save, st.saveHdr = rest[i+1], opt == "=>"
			i++
		case strings.HasPrefix(opt, "@ct="):
			st.ct = opt[len("@ct="):]
		case strings.HasPrefix(opt, "@h="):
			name, value, ok := strings.Cut(opt[len("@h="):], ":")
			if !ok {
				return st, fmt.Errorf("want @h=Name:Value, got %q", opt)
			}
			st.header = append(st.header, [2]string{name, value})
		case strings.HasPrefix(opt, "@user="):
			creds := base64.StdEncoding.EncodeToString([]byte(opt[len("@user="):]))
			st.header = append(st.header, [2]string{"Authorization", "Basic " + creds})
		case opt == "@shape":
			st.shape = true
		case strings.HasPrefix(opt, "@mask="):
			st.mask = strings.Split(opt[len("@mask="):], ",")
		case strings.HasPrefix(opt, "@big="):
			n, err := strconv.Atoi(opt[len("@big="):])
			if err != nil || n < 1 || st.hasBody {
				return st, fmt.Errorf("want @big=N (N > 0) instead of a body, got %q", opt)
			}
			st.big, st.hasBody = n, true
		default:
			return st, fmt.Errorf("unknown option %q", opt)
		}
	}
	return st, nil
}

// TestDiffResolve checks the placeholders against one side's saved values.
func TestDiffResolve(t *testing.T) {
	sd := &diffSide{
		srv:     &diffServer{base: 7, peerURL: "http://127.0.0.1:2380"},
		vars:    map[string]uint64{"q": 12},
		results: []uint64{20, 21},
	}
	tests := []struct{ in, want string }{
		{"/v2/keys/a?waitIndex={base+1}", "/v2/keys/a?waitIndex=8"},
		{"{q}-{q-2}-{q+3}", "12-10-15"},
		{"/v2/keys/q/{q:20}", "/v2/keys/q/00000000000000000012"},
		{"/v2/keys/{#1+1:20}", "/v2/keys/00000000000000000022"},
		{`{"peerURLs":["{peer_url}"]}`, `{"peerURLs":["http://127.0.0.1:2380"]}`},
		{"/v2/keys/b{n}", "/v2/keys/b{n}"},
	}
	for _, tt := range tests {
		got, err := sd.resolve(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("resolve(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"{nosuch}", "{#2}", "{#9:20}"} {
		if _, err := sd.resolve(bad); err == nil {
			t.Errorf("resolve(%q) succeeded, want an error", bad)
		}
	}
}

// TestParseScript checks the script syntax on one line of each kind.
func TestParseScript(t *testing.T) {
	text := `# comment
PUT /v2/keys/a?x=1 value=1 @ct=text/plain @h=Origin:http://x -> a
expect OURS streams replay history
watch w GET /v2/keys/a?wait=true
collect w 2
repeat 3 PUT /v2/keys/b{n} ''
await status=404 GET /v2/keys/c @mask=ttl,expiration @shape
GET /v2/keys/ => now
PUT /v2/keys/big @big=100 @mask=value
GET /v2/auth/users @user=root:pw
`
	steps, err := parseScript("t.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	want := []step{
		{source: "t.txt:2", method: "PUT", target: "/v2/keys/a?x=1", body: "value=1", hasBody: true, ct: "text/plain",
			header: [][2]string{{"Origin", "http://x"}}, save: "a"},
		{source: "t.txt:4", kind: stepWatch, name: "w", method: "GET", target: "/v2/keys/a?wait=true", expect: "[OURS] streams replay history"},
		{source: "t.txt:5", kind: stepCollect, name: "w", count: 2},
		{source: "t.txt:6", kind: stepRepeat, count: 3, method: "PUT", target: "/v2/keys/b{n}", hasBody: true},
		{source: "t.txt:7", kind: stepAwait, cond: "status=404", method: "GET", target: "/v2/keys/c", mask: []string{"ttl", "expiration"}, shape: true},
		{source: "t.txt:8", method: "GET", target: "/v2/keys/", save: "now", saveHdr: true},
		{source: "t.txt:9", method: "PUT", target: "/v2/keys/big", hasBody: true, big: 100, mask: []string{"value"}},
		{source: "t.txt:10", method: "GET", target: "/v2/auth/users", header: [][2]string{{"Authorization", "Basic cm9vdDpwdw=="}}},
	}
	if len(steps) != len(want) {
		t.Fatalf("parseScript = %d steps, want %d", len(steps), len(want))
	}
	for i := range want {
		if got := fmt.Sprintf("%#v", steps[i]); got != fmt.Sprintf("%#v", want[i]) {
			t.Errorf("step %d = %s\nwant %#v", i, got, want[i])
		}
	}
	for _, bad := range []string{"expect MAYBE x\nGET /", "GET", "get /v2/keys", "collect", "repeat x GET /", "await soon GET /", "GET / @bogus", "expect OURS x", "PUT / x @big=3", "PUT / @big=0", "PUT / @big=x"} {
		if _, err := parseScript("bad.txt", bad); err == nil {
			t.Errorf("parseScript(%q) succeeded, want an error", bad)
		}
	}
}
