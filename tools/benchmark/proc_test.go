package main

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestProcReaderFakeProc(t *testing.T) {
	got, err := procReader{root: "testdata/proc"}.sample(4242)
	if err != nil {
		t.Fatalf("sample(4242) error: %v", err)
	}
	// utime 1234 + stime 567 ticks at 100 per second; VmRSS 49380 kB.
	want := procSample{CPU: 18010 * time.Millisecond, RSS: 49380 * 1024}
	if got != want {
		t.Errorf("sample(4242) = %+v, want %+v", got, want)
	}
}

func TestProcReaderMissingPid(t *testing.T) {
	_, err := procReader{root: "testdata/proc"}.sample(1)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sample(1) error = %v, want os.ErrNotExist", err)
	}
}

func TestProcReaderSelf(t *testing.T) {
	got, err := procReader{root: "/proc"}.sample(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if got.RSS <= 0 || got.CPU < 0 {
		t.Errorf("sample(self) = %+v, want positive RSS and non-negative CPU", got)
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    uint64
		wantErr bool
	}{
		{name: "plain", stat: "1 (cat) R 0 1 1 0 -1 4194304 97 0 0 0 7 3 0 0 20 0 1 0", want: 10},
		{name: "name with spaces and parens", stat: "9 (a) b (c)) S 0 1 1 0 -1 0 0 0 0 0 100 50 0 0 20 0 1 0", want: 150},
		{name: "no parens", stat: "1 cat R 0", wantErr: true},
		{name: "truncated", stat: "1 (cat) R 0 1 1 0 -1 4194304 97 0 0 0 7", wantErr: true},
		{name: "non-numeric utime", stat: "1 (cat) R 0 1 1 0 -1 4194304 97 0 0 0 x 3 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.stat))
			if tt.wantErr {
				if !errors.Is(err, ErrProcFormat) {
					t.Errorf("parseStatCPU(%q) error = %v, want ErrProcFormat", tt.stat, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseStatCPU(%q) = %d, %v, want %d", tt.stat, got, err, tt.want)
			}
		})
	}
}

func TestParseStatusRSS(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{name: "tab and spaces", status: "Name:\tx\nVmRSS:\t    2172 kB\nThreads:\t1\n", want: 2172 * 1024},
		{name: "zero", status: "VmRSS: 0 kB\n", want: 0},
		{name: "zombie has none", status: "Name:\tx\nState:\tZ (zombie)\n", wantErr: true},
		{name: "bad unit", status: "VmRSS:\t2172 MB\n", wantErr: true},
		{name: "bad number", status: "VmRSS:\tlots kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatusRSS([]byte(tt.status))
			if tt.wantErr {
				if !errors.Is(err, ErrProcFormat) {
					t.Errorf("parseStatusRSS(%q) error = %v, want ErrProcFormat", tt.status, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseStatusRSS(%q) = %d, %v, want %d", tt.status, got, err, tt.want)
			}
		})
	}
}

func TestProcReaderAlive(t *testing.T) {
	tests := []struct {
		name string
		root string
		pid  int
		want bool
	}{
		{name: "fake sleeping", root: "testdata/proc", pid: 4242, want: true},
		{name: "fake zombie", root: "testdata/proc", pid: 4343, want: false},
		{name: "missing", root: "testdata/proc", pid: 1, want: false},
		{name: "self", root: "/proc", pid: os.Getpid(), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (procReader{root: tt.root}).alive(tt.pid); got != tt.want {
				t.Errorf("alive(%d) = %v, want %v", tt.pid, got, tt.want)
			}
		})
	}
}
