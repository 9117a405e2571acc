// Command etcd is the etcd2 server: the etcd v2 API over HTTP, replicated with Raft.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "etcd2: not implemented yet")
	os.Exit(1)
}
