package main

// The scripted reference differential test: every testdata/refdiff/*.txt runs on a fresh
// pair of servers (ours and the reference, see refdiff_test.go).
//
// Script format, one step a line; blank lines and lines starting with # are comments:
//
//	== TITLE                                   section title, shown in reports
//	METHOD TARGET [BODY] [@opt…] [-> NAME]     one request; -> saves its X-Etcd-Index
//	watch NAME METHOD TARGET [BODY] [@opt…]    start a long poll in the background; the step
//	                                           returns once its headers are in (registered)
//	collect NAME [N]                           compare what watch NAME got: the whole answer,
//	                                           or its first N lines (stream); then close it
//	repeat N METHOD TARGET [BODY] [@opt…]      N requests, {n} = 1…N, statuses tallied
//	await STATUS METHOD TARGET [@opt…]         repeat until STATUS, compare the last answer
//
// TARGET is path and query sent as written (percent escapes, `//`, `..` included). BODY is
// sent as written with Content-Type application/x-www-form-urlencoded; '' is an empty body.
// Options: @ct=TYPE (another Content-Type), @h=Name:Value (a request header), @big=N (body
// `value=` plus N bytes). Placeholders: {B+n}, {NAME}, {NAME+n}, {NAME-n}, {NAME:20} (see
// rdStep). Any step may end with `!! OURS reason` or `!! QUIRK reason`: the expected
// difference marker, whose reason names the SPEC item.

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestRefDiffKeys runs the scripts of testdata/refdiff against ours and the reference.
func TestRefDiffKeys(t *testing.T) {
	requireRefDiff(t)
	files, err := filepath.Glob(filepath.Join("testdata", "refdiff", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/refdiff (%v)", err)
	}
	for _, f := range files {
		steps, err := rdParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			r := newRDRunner(t)
			defer r.finish()
			for _, st := range steps {
				r.run(st)
			}
		})
	}
}

// rdParseFile reads and parses one script.
func rdParseFile(path string) ([]*rdStep, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return rdParse(filepath.Base(path), string(b))
}

// rdParse parses a script (format at the top of this file).
func rdParse(name, text string) ([]*rdStep, error) {
	var steps []*rdStep
	section := ""
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		src := fmt.Sprintf("%s:%d", name, i+1)
		if title, ok := strings.CutPrefix(line, "== "); ok {
			section = title
			continue
		}
		st, err := rdParseStep(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		st.src, st.section = src, section
		steps = append(steps, st)
	}
	return steps, nil
}

// rdParseStep parses one step line.
func rdParseStep(line string) (*rdStep, error) {
	st := &rdStep{}
	if rest, marker, ok := strings.Cut(line, "!!"); ok {
		kind, reason, _ := strings.Cut(strings.TrimSpace(marker), " ")
		if kind != "OURS" && kind != "QUIRK" || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("marker %q: want `!! OURS reason` or `!! QUIRK reason`", marker)
		}
		st.expect = "[" + kind + "] " + strings.TrimSpace(reason)
		line = rest
	}
	w := strings.Fields(line)
	capture := ""
	if n := len(w); n >= 2 && w[n-2] == "->" {
		capture, w = w[n-1], w[:n-2]
	}
	if len(w) == 0 {
		return nil, fmt.Errorf("empty step")
	}
	if capture != "" && (w[0] == "watch" || w[0] == "collect" || w[0] == "repeat" || w[0] == "await") {
		return nil, fmt.Errorf("-> only after a plain request")
	}
	var err error
	switch w[0] {
	case "watch":
		if len(w) < 4 {
			return nil, fmt.Errorf("watch needs a name, a method and a target")
		}
		st.kind, st.name, w = rdWatch, w[1], w[2:]
	case "collect":
		if len(w) < 2 || len(w) > 3 {
			return nil, fmt.Errorf("collect needs a watch name and an optional count")
		}
		st.kind, st.name = rdCollect, w[1]
		if len(w) == 3 {
			if st.count, err = strconv.Atoi(w[2]); err != nil || st.count < 1 {
				return nil, fmt.Errorf("collect count %q", w[2])
			}
		}
		return st, nil
	case "repeat", "await":
		if len(w) < 4 {
			return nil, fmt.Errorf("%s needs a number, a method and a target", w[0])
		}
		st.kind = rdRepeat
		if w[0] == "await" {
			st.kind = rdAwait
		}
		if st.count, err = strconv.Atoi(w[1]); err != nil || st.count < 1 {
			return nil, fmt.Errorf("%s number %q", w[0], w[1])
		}
		w = w[2:]
	}
	if len(w) < 2 || strings.ToUpper(w[0]) != w[0] || !strings.HasPrefix(w[1], "/") {
		return nil, fmt.Errorf("want METHOD /TARGET, got %q", strings.Join(w, " "))
	}
	if capture != "" {
		st.name = capture
	}
	st.method, st.target = w[0], w[1]
	for _, f := range w[2:] {
		switch {
		case strings.HasPrefix(f, "@ct="):
			st.ct = f[len("@ct="):]
		case strings.HasPrefix(f, "@h="):
			name, value, ok := strings.Cut(f[len("@h="):], ":")
			if !ok {
				return nil, fmt.Errorf("header option %q: want @h=Name:Value", f)
			}
			st.header = append(st.header, [2]string{name, value})
		case strings.HasPrefix(f, "@big="):
			if st.bigBody, err = strconv.Atoi(f[len("@big="):]); err != nil {
				return nil, fmt.Errorf("option %q", f)
			}
		case strings.HasPrefix(f, "@"):
			return nil, fmt.Errorf("unknown option %q", f)
		case st.hasBody:
			return nil, fmt.Errorf("second body %q", f)
		case f == "''":
			st.hasBody = true
		default:
			st.body, st.hasBody = f, true
		}
	}
	return st, nil
}

func TestRefDiffParse(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    rdStep
		wantErr bool
	}{
		{"get", "GET /v2/keys/a?recursive=true", rdStep{method: "GET", target: "/v2/keys/a?recursive=true"}, false},
		{"body and capture", "PUT /v2/keys/a value=1&ttl=5 -> a1",
			rdStep{method: "PUT", target: "/v2/keys/a", body: "value=1&ttl=5", hasBody: true, name: "a1"}, false},
		{"empty body, options", "PUT /v2/keys/j '' @ct=application/json @h=Origin:http://x.example",
			rdStep{method: "PUT", target: "/v2/keys/j", hasBody: true, ct: "application/json",
				header: [][2]string{{"Origin", "http://x.example"}}}, false},
		{"big", "PUT /v2/keys/big @big=100 !! OURS SPEC §2.2 413",
			rdStep{method: "PUT", target: "/v2/keys/big", bigBody: 100, expect: "[OURS] SPEC §2.2 413"}, false},
		{"watch", "watch w1 GET /v2/keys/a?wait=true",
			rdStep{kind: rdWatch, name: "w1", method: "GET", target: "/v2/keys/a?wait=true"}, false},
		{"collect stream", "collect s 3 !! QUIRK SPEC §3.4",
			rdStep{kind: rdCollect, name: "s", count: 3, expect: "[QUIRK] SPEC §3.4"}, false},
		{"repeat", "repeat 10 PUT /v2/keys/f{n} value=x",
			rdStep{kind: rdRepeat, count: 10, method: "PUT", target: "/v2/keys/f{n}", body: "value=x", hasBody: true}, false},
		{"await", "await 404 GET /v2/keys/t", rdStep{kind: rdAwait, count: 404, method: "GET", target: "/v2/keys/t"}, false},
		{"marker without reason", "GET /v2/keys/a !! OURS", rdStep{}, true},
		{"bad marker", "GET /v2/keys/a !! MAYBE why", rdStep{}, true},
		{"no target", "GET", rdStep{}, true},
		{"two bodies", "PUT /v2/keys/a x=1 y=2", rdStep{}, true},
		{"unknown option", "PUT /v2/keys/a @zz=1", rdStep{}, true},
		{"capture on collect", "collect w -> x", rdStep{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rdParseStep(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("rdParseStep(%q) error = %v, want error %v", tt.line, err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("rdParseStep(%q) = %+v, want %+v", tt.line, *got, tt.want)
			}
		})
	}
}

// TestRefDiffScriptsParse checks that the scripts parse and are big enough for the issue
// (at least 150 requests covering SPEC §2–§3), without starting any server.
func TestRefDiffScriptsParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "refdiff", "*.txt"))
	requests := 0
	for _, f := range files {
		steps, err := rdParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		watches := map[string]bool{}
		for _, st := range steps {
			requests += st.requestCount()
			switch st.kind {
			case rdWatch:
				watches[st.name] = true
			case rdCollect:
				if !watches[st.name] {
					t.Errorf("%s: collect of watch %q that was not started", st.src, st.name)
				}
				delete(watches, st.name)
			}
		}
		for name := range watches {
			t.Errorf("%s: watch %q never collected", f, name)
		}
	}
	if requests < 150 {
		t.Errorf("scripts send %d requests, want at least 150", requests)
	}
	t.Logf("%d scripts, %d requests per server", len(files), requests)
}
