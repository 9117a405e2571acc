package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "record golden files from the reference etcdctl")

// binaries built or found once for the process-level tests.
var (
	ourCLI  string // bin/etcdctl built from this package
	refCLI  string // the reference etcdctl (ETCDCTL_API=2), "" when not installed
	refEtcd string // the reference etcd, "" when not installed
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "etcdctl2-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ourCLI = filepath.Join(dir, "etcdctl")
	build := exec.Command("go", "build", "-o", ourCLI, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building etcdctl:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	refCLI, _ = exec.LookPath("etcdctl")
	refEtcd, _ = exec.LookPath("etcd")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needReference skips a test that needs the reference etcd (and etcdctl).
func needReference(t *testing.T, cli bool) {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test skipped in -short mode")
	}
	if refEtcd == "" || (cli && refCLI == "") {
		t.Skip("reference etcd/etcdctl 3.4.23 not installed (apt-get install etcd-server etcd-client)")
	}
}
