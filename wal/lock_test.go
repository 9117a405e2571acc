package wal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestLockInProcess(t *testing.T) {
	w, dir := createWAL(t, 0, nil)
	tests := []struct {
		name string
		open func() (*WAL, error)
	}{
		{"Open while created", func() (*WAL, error) { return Open(dir, Snapshot{}, testOptions(t, 0)) }},
		{"Open at a snapshot while created", func() (*WAL, error) { return Open(dir, Snapshot{Index: 1}, testOptions(t, 0)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w2, err := tt.open()
			if err == nil {
				w2.Close()
			}
			if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error = %v, want ErrLocked naming %s", err, dir)
			}
		})
	}
	mustClose(t, w)

	w1, err := Open(dir, Snapshot{}, testOptions(t, 0))
	if err != nil {
		t.Fatalf("Open() after Close error = %v", err)
	}
	if _, err := Open(dir, Snapshot{}, testOptions(t, 0)); !errors.Is(err, ErrLocked) {
		t.Errorf("second Open() error = %v, want ErrLocked", err)
	}
	mustClose(t, w1)
}

// TestLockAcrossProcesses runs this test binary again as a child that tries to open a WAL
// the parent holds.
func TestLockAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("WAL_LOCK_CHILD_DIR"); dir != "" {
		w, err := Open(dir, Snapshot{}, Options{})
		if err == nil {
			w.Close()
		}
		fmt.Printf("child open: %v\n", err)
		return
	}
	w, dir := createWAL(t, 0, nil)
	child := func() string {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLockAcrossProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "WAL_LOCK_CHILD_DIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child failed: %v\n%s", err, out)
		}
		return string(out)
	}
	if out, want := child(), "child open: "+ErrLocked.Error()+": "+dir; !strings.Contains(out, want) {
		t.Errorf("child output = %q, want it to contain %q", out, want)
	}
	mustClose(t, w)
	if out := child(); !strings.Contains(out, "child open: <nil>") {
		t.Errorf("child output after the parent closed = %q, want a successful open", out)
	}
}
