package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
)

// system is everything a command touches besides its arguments and the network: the
// standard streams, the process environment, DNS, interrupts, the terminal and the
// randomness used to spread load over endpoints. main wires the real process; tests
// substitute parts of it. Commands never reach for os globals themselves.
type system struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// getenv reads one ETCDCTL_* variable; environ is the whole environment, handed to
	// the commands exec-watch runs.
	getenv  func(string) string
	environ func() []string

	// lookupSRV resolves SRV records for --discovery-srv (net.Resolver.LookupSRV).
	lookupSRV func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	// resolver resolves endpoint host names when dialing; nil is Go's default.
	resolver *net.Resolver

	// interruptible returns a context cancelled by Ctrl-C. Only watch, exec-watch and
	// cluster-health --forever ask for one: like the reference, every other command
	// dies of the signal.
	interruptible func(ctx context.Context) (context.Context, context.CancelFunc)

	// readPassword writes prompt on stdout, reads one line from stdin with the terminal's
	// echo off and ends the prompt line.
	readPassword func(prompt string) (string, error)

	// rand shuffles endpoints, as the reference client does to spread load.
	rand *rand.Rand
}
