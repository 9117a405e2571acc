package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// newCommandClient builds the client from the global options, as the reference's
// newClient does: endpoints (SRV first), transport, credentials (prompting for a
// missing password). Failures exit 1 with the error's text.
func newCommandClient(c *cli.Context, sys *system, o options) (*client, error) {
	d := readDiscovery(c, sys.getenv)
	eps, err := endpoints(c.Context, c, sys, d)
	if err != nil {
		return nil, exitWith(exitBadArgs, err)
	}
	tr, err := newTransport(tlsOptions(c, sys.getenv, d), dialTimeout(o.totalTimeout), sys.resolver)
	if err != nil {
		return nil, exitWith(exitBadArgs, err)
	}
	cfg := clientConfig{endpoints: eps, transport: tr, headerTimeout: o.timeout, rand: sys.rand}
	if u := firstSet(c.String("username"), sys.getenv("ETCDCTL_USERNAME")); u != "" {
		cfg.username, cfg.password, err = credentials(sys, "Password: ", u)
		if err != nil {
			return nil, exitWith(exitBadArgs, err)
		}
	}
	cl, err := newClient(cfg)
	if err != nil {
		return nil, exitWith(exitBadArgs, err)
	}
	return cl, nil
}

// connect returns the client of a command and, unless --no-sync, syncs its endpoints
// from the cluster first (the reference's mustNewClient). A sync that cannot connect
// exits 2; one that finds no client URLs exits 4; any other sync failure is ignored and
// the given endpoints are used.
func connect(c *cli.Context, sys *system) (*client, error) {
	o := readOptions(c)
	cl, err := newCommandClient(c, sys, o)
	if err != nil {
		return nil, err
	}
	if o.debug {
		cl.cfg.debug = sys.stderr
	}
	if !o.noSync {
		if o.debug {
			fmt.Fprintf(sys.stderr, "start to sync cluster using endpoints(%s)\n", strings.Join(cl.Endpoints(), ","))
		}
		ctx, cancel := o.withTotalTimeout(c.Context)
		err := cl.Sync(ctx)
		cancel()
		switch {
		case errors.Is(err, errNoEndpoints):
			msg := "etcd cluster has no published client endpoints.\n" +
				fmt.Sprintf("Try '--no-sync' if you want to access non-published client endpoints(%s).\n", strings.Join(cl.Endpoints(), ","))
			return nil, &exitError{code: exitServerError, msg: msg + fmt.Sprintln("Error: ", err)}
		case err != nil && isConnectionError(err):
			return nil, commandError(exitBadConnection, err)
		}
		if o.debug {
			fmt.Fprintf(sys.stderr, "got endpoints(%s) after sync\n", strings.Join(cl.Endpoints(), ","))
		}
	}
	if o.debug {
		printClusterEndpoints(sys.stderr, cl)
	}
	return cl, nil
}

// connectNoSync is connect without the sync (cluster-health); --debug prints the
// endpoints before any request.
func connectNoSync(c *cli.Context, sys *system) (*client, error) {
	o := readOptions(c)
	cl, err := newCommandClient(c, sys, o)
	if err != nil {
		return nil, err
	}
	if o.debug {
		printClusterEndpoints(sys.stderr, cl)
		cl.cfg.debug = sys.stderr
	}
	return cl, nil
}

func printClusterEndpoints(w io.Writer, cl *client) {
	fmt.Fprintf(w, "Cluster-Endpoints: %s\n", strings.Join(cl.Endpoints(), ", "))
}

// isConnectionError tells failures to reach the cluster (exit 2) from other sync
// failures: every endpoint refused, failed to dial or read, or timed out.
func isConnectionError(err error) bool {
	var ce *clusterError
	if errors.As(err, &ce) {
		for _, e := range ce.errs {
			if !isConnectionError(e) {
				return false
			}
		}
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		if oe.Op == "dial" || oe.Op == "read" {
			return true
		}
		return isConnectionError(oe.Err)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
