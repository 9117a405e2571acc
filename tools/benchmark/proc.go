package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ErrProcFormat reports a /proc file whose layout is not the one proc(5) documents.
var ErrProcFormat = errors.New("benchmark: malformed /proc file")

// userHZ is the unit of utime and stime in /proc/<pid>/stat. The kernel exports it as a
// fixed ABI constant (USER_HZ, what `getconf CLK_TCK` prints) of 100 on every mainstream
// Linux architecture, whatever the kernel's internal HZ; reading it through sysconf would
// need cgo.
const userHZ = 100

// procSample is what the tool reads about the server process at one moment.
type procSample struct {
	CPU time.Duration // user + system time consumed so far
	RSS int64         // resident set size in bytes
}

// procReader reads process figures below a /proc root; tests point it at testdata.
type procReader struct {
	root string
}

// sample reads the CPU time and RSS of pid.
func (p procReader) sample(pid int) (procSample, error) {
	dir := filepath.Join(p.root, strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procSample{}, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	ticks, err := parseStatCPU(stat)
	if err != nil {
		return procSample{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return procSample{}, fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	rss, err := parseStatusRSS(status)
	if err != nil {
		return procSample{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	return procSample{CPU: time.Duration(ticks) * time.Second / userHZ, RSS: rss}, nil
}

// parseStatCPU returns utime + stime, in clock ticks, from the text of /proc/<pid>/stat.
// The second field, the command name in parentheses, may itself hold spaces and ')', so
// fields are counted from the last ')': after it come state (field 3) onwards, and utime
// and stime are fields 14 and 15.
func parseStatCPU(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("%w: stat has no command name", ErrProcFormat)
	}
	fields := bytes.Fields(stat[end+1:])
	const utimeAt, stimeAt = 14 - 3, 15 - 3 // indexes in fields, which start at field 3
	if len(fields) <= stimeAt {
		return 0, fmt.Errorf("%w: stat has %d fields after the command name", ErrProcFormat, len(fields))
	}
	utime, err := strconv.ParseUint(string(fields[utimeAt]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: utime: %w", ErrProcFormat, err)
	}
	stime, err := strconv.ParseUint(string(fields[stimeAt]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: stime: %w", ErrProcFormat, err)
	}
	return utime + stime, nil
}

// parseStatusRSS returns VmRSS in bytes from the text of /proc/<pid>/status, where it is
// written as "VmRSS:\t  1234 kB". A process without memory (a zombie) has no such line.
func parseStatusRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%w: VmRSS line %q", ErrProcFormat, sc.Text())
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: VmRSS: %w", ErrProcFormat, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("scan status: %w", err)
	}
	return 0, fmt.Errorf("%w: status has no VmRSS line", ErrProcFormat)
}

// alive reports whether pid exists and is not a zombie (a child that exited and was not
// yet reaped keeps its /proc entry with state Z).
func (p procReader) alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return false
	}
	f := bytes.Fields(stat[end+1:])
	return len(f) > 0 && string(f[0]) != "Z" && string(f[0]) != "X"
}
