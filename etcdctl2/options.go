package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// defaultEndpoints is used when no option or variable names endpoints.
const defaultEndpoints = "http://127.0.0.1:2379,http://127.0.0.1:4001"

// options are the global options a command reads, with their ETCDCTL_* variables
// already applied (SPEC 9.1).
type options struct {
	output       string
	debug        bool
	noSync       bool
	timeout      time.Duration
	totalTimeout time.Duration
}

func readOptions(c *cli.Context) options {
	return options{
		output:       c.String("output"),
		debug:        c.Bool("debug"),
		noSync:       c.Bool("no-sync"),
		timeout:      c.Duration("timeout"),
		totalTimeout: c.Duration("total-timeout"),
	}
}

// withTotalTimeout bounds a command's requests by --total-timeout.
func (o options) withTotalTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.totalTimeout)
}

// firstSet returns the first non-empty value: an option, then its variable, and so on.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// peerEndpoints is the endpoint list without SRV discovery: --endpoints >
// ETCDCTL_ENDPOINTS > --endpoint > ETCDCTL_ENDPOINT > --peers > ETCDCTL_PEERS >
// default.
func peerEndpoints(c *cli.Context, getenv func(string) string) []string {
	s := firstSet(
		c.String("endpoints"), getenv("ETCDCTL_ENDPOINTS"),
		c.String("endpoint"), getenv("ETCDCTL_ENDPOINT"),
		c.String("peers"), getenv("ETCDCTL_PEERS"),
		defaultEndpoints,
	)
	return strings.Split(s, ",")
}

// discovery is the --discovery-srv configuration.
type discovery struct {
	domain      string
	insecure    bool
	serviceName string
}

func readDiscovery(c *cli.Context, getenv func(string) string) discovery {
	return discovery{
		domain:      firstSet(c.String("discovery-srv"), getenv("ETCDCTL_DISCOVERY_SRV")),
		insecure:    c.Bool("insecure-discovery") || getenv("ETCDCTL_INSECURE_DISCOVERY") != "",
		serviceName: getenv("ETCDCTL_DISCOVERY_SRV_NAME"),
	}
}

// endpoints resolves the endpoints a command starts from: SRV discovery when a domain is
// set (dropping plain-http endpoints unless insecure), else the options; each gets
// http:// when it has no scheme.
func endpoints(ctx context.Context, c *cli.Context, sys *system, d discovery) ([]string, error) {
	var eps []string
	if d.domain != "" {
		found, err := discoverSRV(ctx, sys.lookupSRV, d.domain, d.serviceName)
		if err != nil {
			return nil, err
		}
		for _, ep := range found {
			if !d.insecure && strings.HasPrefix(ep, "http://") {
				fmt.Fprintf(sys.stderr, "ignoring discovered insecure endpoint %q\n", ep)
				continue
			}
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		eps = peerEndpoints(c, sys.getenv)
	}
	for i, ep := range eps {
		u, err := url.Parse(ep)
		if err != nil {
			return nil, err
		}
		if u.Scheme == "" {
			u.Scheme = "http"
		}
		eps[i] = u.String()
	}
	return eps, nil
}

// tlsOptions reads the TLS files (options, then ETCDCTL_* variables).
func tlsOptions(c *cli.Context, getenv func(string) string, d discovery) tlsFiles {
	f := tlsFiles{
		certFile: firstSet(c.String("cert-file"), getenv("ETCDCTL_CERT_FILE")),
		keyFile:  firstSet(c.String("key-file"), getenv("ETCDCTL_KEY_FILE")),
		caFile:   firstSet(c.String("ca-file"), getenv("ETCDCTL_CA_FILE")),
	}
	if !d.insecure {
		f.serverName = d.domain
	}
	return f
}

// dialTimeout is the connection setup limit: 30 s, or --total-timeout when shorter.
func dialTimeout(total time.Duration) time.Duration {
	if total != 0 && total < maxDialTimeout {
		return total
	}
	return maxDialTimeout
}

// credentials splits --username user[:password], prompting for a missing password.
func credentials(sys *system, prompt, flag string) (name, password string, err error) {
	name, password, found := strings.Cut(flag, ":")
	if found {
		return name, password, nil
	}
	password, err = sys.readPassword(prompt)
	if err != nil {
		return "", "", err
	}
	return name, password, nil
}
