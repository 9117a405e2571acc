package main

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestProcsDecision(t *testing.T) {
	type step struct {
		syncs     uint64
		wantProcs int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"reads only stay on one P", []step{{0, 1}, {3, 1}, {24, 1}, {0, 1}}},
		{"writes take a second P at once", []step{{0, 1}, {25, 2}, {400, 2}}},
		{"back to one P after eight quiet intervals", []step{
			{100, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 1}, {0, 1},
		}},
		{"a burst restarts the quiet count", []step{
			{100, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {30, 2},
			{0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 1},
		}},
		{"a trickle of writes is quiet", []step{{100, 2}, {5, 2}, {5, 2}, {5, 2}, {5, 2}, {5, 2}, {5, 2}, {5, 2}, {5, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, quiet := 1, 0
			for i, s := range tt.steps {
				cur, quiet = procsDecision(cur, s.syncs, quiet)
				if cur != s.wantProcs {
					t.Fatalf("interval %d (%d fsyncs): %d Ps, want %d", i, s.syncs, cur, s.wantProcs)
				}
			}
		})
	}
}

// TestProcessSingleCPUAdaptsProcs pins the server to one CPU: it takes a second P while it
// writes and gives it back when the writes stop.
func TestProcessSingleCPUAdaptsProcs(t *testing.T) {
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("taskset not installed")
	}
	if _, ok := os.LookupEnv("GOMAXPROCS"); ok {
		t.Skip("GOMAXPROCS is set: the server leaves it alone")
	}
	bin := ourBinary(t)
	m := newMember(t, bin, filepath.Join(t.TempDir(), "d"), "--log-level", "debug")
	m.args = append([]string{"-c", "0", bin}, m.args...)
	m.bin = taskset
	m.startReady()

	waitLog := func(want string, write bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for i := 0; time.Now().Before(deadline); i++ {
			if strings.Contains(m.out.String(), want) {
				return
			}
			if write {
				m.do("PUT", "/v2/keys/k", url.Values{"value": {strconv.Itoa(i)}})
			} else {
				time.Sleep(50 * time.Millisecond)
			}
		}
		t.Fatalf("log never showed %s", want)
	}
	waitLog(`"gomaxprocs":2`, true)
	waitLog(`"gomaxprocs":1`, false)
}
