package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/urfave/cli/v2"
)

// healthInterval is the pause between checks of cluster-health --forever.
const healthInterval = 10 * time.Second

func newClusterHealthCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "cluster-health",
		Usage:     "check the health of the etcd cluster",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "forever", Aliases: []string{"f"}, Usage: "forever check the health every 10 second until CTRL+C"},
		},
		Action: func(c *cli.Context) error {
			ctx := c.Context
			forever := c.Bool("forever")
			if forever {
				var stop context.CancelFunc
				ctx, stop = sys.interruptible(ctx)
				defer stop()
			}
			o := readOptions(c)
			d := readDiscovery(c, sys.getenv)
			tr, err := newTransport(tlsOptions(c, sys.getenv, d), dialTimeout(o.totalTimeout), sys.resolver)
			if err != nil {
				return commandError(exitServerError, err)
			}
			// The member list goes through the client (without sync or total timeout);
			// the health checks are plain GETs, limited only by the dial timeout.
			cl, err := connectNoSync(c, sys)
			if err != nil {
				return err
			}
			ms, err := cl.listMembers(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				fmt.Fprintln(sys.stdout, "cluster may be unhealthy: failed to list members")
				return commandError(exitServerError, err)
			}
			hc := &http.Client{Transport: tr}
			for {
				healthy := checkMembers(ctx, sys.stdout, hc, ms)
				switch healthy {
				case len(ms):
					fmt.Fprintln(sys.stdout, "cluster is healthy")
				case 0:
					fmt.Fprintln(sys.stdout, "cluster is unavailable")
				default:
					fmt.Fprintln(sys.stdout, "cluster is degraded")
				}
				if !forever {
					if healthy == len(ms) {
						return nil
					}
					return &exitError{code: exitClusterNotHealthy}
				}
				fmt.Fprintf(sys.stdout, "\nnext check after 10 second...\n\n")
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(healthInterval):
				}
			}
		},
	}
}

// checkMembers prints one line per member and returns how many are healthy. A member is
// checked on its client URLs in turn until one answers /health.
func checkMembers(ctx context.Context, w io.Writer, hc *http.Client, ms []member) int {
	healthy := 0
	for _, m := range ms {
		if len(m.ClientURLs) == 0 {
			fmt.Fprintf(w, "member %s is unreachable: no available published client urls\n", m.ID)
			continue
		}
		checked := false
		for _, u := range m.ClientURLs {
			ok, err := memberHealth(ctx, hc, u)
			if err != nil {
				fmt.Fprintf(w, "failed to check the health of member %s on %s: %v\n", m.ID, u, err)
				continue
			}
			checked = true
			if ok {
				fmt.Fprintf(w, "member %s is healthy: got healthy result from %s\n", m.ID, u)
				healthy++
			} else {
				fmt.Fprintf(w, "member %s is unhealthy: got unhealthy result from %s\n", m.ID, u)
			}
			break
		}
		if !checked {
			fmt.Fprintf(w, "member %s is unreachable: %v are all unreachable\n", m.ID, m.ClientURLs)
		}
	}
	return healthy
}

// memberHealth GETs <url>/health, which answers {"health":"true"} (3.x) or
// {"health":true} (2.x).
func memberHealth(ctx context.Context, hc *http.Client, u string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/health", nil)
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		// As in client.send: the reference's certificate errors have no "tls:" prefix.
		var ue *url.Error
		var cve *tls.CertificateVerificationError
		if errors.As(err, &ue) && errors.As(err, &cve) {
			ue.Err = cve.Err
		}
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	var asString struct{ Health string }
	if err := json.Unmarshal(body, &asString); err == nil {
		return asString.Health == "true", nil
	}
	var asBool struct{ Health bool }
	if err := json.Unmarshal(body, &asBool); err != nil {
		return false, err
	}
	return asBool.Health, nil
}
