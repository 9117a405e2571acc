package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// clientConfig configures a client.
type clientConfig struct {
	endpoints []string
	transport http.RoundTripper
	// headerTimeout bounds each request until its response headers arrive (--timeout);
	// watches are exempt. Zero means no bound.
	headerTimeout time.Duration
	// username and password are sent as HTTP Basic credentials when username is set.
	username, password string
	// debug, when set, receives one "cURL Command:" line per request (--debug).
	debug io.Writer
	rand  *rand.Rand
}

// client is the small v2 client the commands share. Like the reference client library
// it keeps a shuffled list of endpoints and a pinned one; a request starts at the pinned
// endpoint and fails over to the next on transport errors and 5xx answers, and
// the endpoint that answered becomes the pinned one. It is not safe for concurrent use.
type client struct {
	cfg       clientConfig
	endpoints []url.URL
	pinned    int
}

func newClient(cfg clientConfig) (*client, error) {
	c := &client{cfg: cfg}
	eps, err := parseEndpoints(cfg.endpoints)
	if err != nil {
		return nil, err
	}
	c.endpoints = c.shuffle(eps)
	return c, nil
}

func parseEndpoints(eps []string) ([]url.URL, error) {
	if len(eps) == 0 {
		return nil, errNoEndpoints
	}
	out := make([]url.URL, len(eps))
	for i, ep := range eps {
		u, err := url.Parse(ep)
		if err != nil {
			return nil, err
		}
		out[i] = *u
	}
	return out, nil
}

func (c *client) shuffle(eps []url.URL) []url.URL {
	if c.cfg.rand != nil {
		c.cfg.rand.Shuffle(len(eps), func(i, j int) { eps[i], eps[j] = eps[j], eps[i] })
	}
	return eps
}

// Endpoints returns the endpoints in the order requests try them from the start.
func (c *client) Endpoints() []string {
	out := make([]string, len(c.endpoints))
	for i, ep := range c.endpoints {
		out[i] = ep.String()
	}
	return out
}

// Sync replaces the endpoints with the client URLs of all members (GET /v2/members). An
// unchanged set keeps its order and pinned endpoint.
func (c *client) Sync(ctx context.Context) error {
	ms, err := c.listMembers(ctx)
	if err != nil {
		return err
	}
	var urls []string
	for _, m := range ms {
		urls = append(urls, m.ClientURLs...)
	}
	eps, err := parseEndpoints(urls)
	if err != nil {
		return err
	}
	if sameEndpoints(c.endpoints, eps) {
		return nil
	}
	c.endpoints = c.shuffle(eps)
	c.pinned = 0
	return nil
}

func sameEndpoints(a, b []url.URL) bool {
	if len(a) != len(b) {
		return false
	}
	as, bs := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		as[i], bs[i] = a[i].String(), b[i].String()
	}
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

// do sends r to the endpoints in turn, starting at the pinned one, and returns the first
// answer that is not a 5xx. A context error ends the attempt at once. A oneShot request
// (create-only sets, deletes: not idempotent) is never retried elsewhere: its error is
// returned as is and the next endpoint is pinned for later requests.
func (c *client) do(ctx context.Context, r *apiRequest, oneShot bool) (*http.Response, []byte, error) {
	n := len(c.endpoints)
	if n == 0 {
		return nil, nil, errNoEndpoints
	}
	cerr := &clusterError{}
	for i := c.pinned; i < c.pinned+n; i++ {
		k := i % n
		ep := c.endpoints[k]
		resp, body, err := c.doFollowing(ctx, ep, r)
		if err != nil {
			cerr.errs = append(cerr.errs, err)
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, nil, err
			}
		} else if resp.StatusCode/100 == 5 {
			switch resp.StatusCode {
			case http.StatusInternalServerError, http.StatusServiceUnavailable:
				err = fmt.Errorf("client: etcd member %s has no leader", ep.String())
			default:
				err = fmt.Errorf("client: etcd member %s returns server error [%s]", ep.String(), http.StatusText(resp.StatusCode))
			}
			cerr.errs = append(cerr.errs, err)
			// The reference reports the first error collected, not this one.
			err = cerr.errs[0]
		}
		if err != nil {
			if !oneShot {
				continue
			}
			c.pinned = (k + 1) % n
			return nil, nil, err
		}
		c.pinned = k
		return resp, body, nil
	}
	return nil, nil, cerr
}

// maxRedirects is how many redirects one request follows (the reference's default).
const maxRedirects = 10

// doFollowing sends r to ep and follows 3xx answers to their Location.
func (c *client) doFollowing(ctx context.Context, ep url.URL, r *apiRequest) (*http.Response, []byte, error) {
	var location *url.URL
	for i := 0; i < 100; i++ {
		if i > maxRedirects {
			return nil, nil, errTooManyRedirects
		}
		resp, body, err := c.send(ctx, ep, r, location)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode/100 != 3 {
			return resp, body, nil
		}
		hdr := resp.Header.Get("Location")
		if hdr == "" {
			return nil, nil, errors.New("location header not set")
		}
		loc, err := url.Parse(hdr)
		if err != nil {
			return nil, nil, fmt.Errorf("location header not valid URL: %s", hdr)
		}
		location = loc
	}
	return nil, nil, errTooManyRedirChecks
}

// send makes one HTTP request to ep (or to location, after a redirect). Until the
// response headers arrive it is bounded by the header timeout, except for watches; the
// body is then read under ctx alone.
func (c *client) send(ctx context.Context, ep url.URL, r *apiRequest, location *url.URL) (*http.Response, []byte, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := r.build(rctx, ep, location)
	if err != nil {
		return nil, nil, err
	}
	if c.cfg.username != "" {
		req.SetBasicAuth(c.cfg.username, c.cfg.password)
	}
	c.printCURL(req.Method, req.URL, r)

	hctx := ctx
	if !r.wait && c.cfg.headerTimeout > 0 {
		var hcancel context.CancelFunc
		hctx, hcancel = context.WithTimeout(ctx, c.cfg.headerTimeout)
		defer hcancel()
	}
	type result struct {
		resp *http.Response
		err  error
	}
	rtc := make(chan result, 1)
	go func() {
		resp, err := c.cfg.transport.RoundTrip(req)
		rtc <- result{resp, err}
	}()
	var res result
	select {
	case res = <-rtc:
	case <-hctx.Done():
		cancel()
		res = <-rtc
		if res.resp != nil {
			res.resp.Body.Close()
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("client: endpoint %s exceeded header timeout", ep.String())
	}
	if res.err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// Go 1.20 prefixed certificate errors with "tls: failed to verify certificate: ";
		// the reference (Go 1.19) prints the x509 error alone.
		var cve *tls.CertificateVerificationError
		if errors.As(res.err, &cve) {
			return nil, nil, cve.Err
		}
		return nil, nil, res.err
	}
	defer res.resp.Body.Close()

	type read struct {
		body []byte
		err  error
	}
	readc := make(chan read, 1)
	go func() {
		b, err := io.ReadAll(res.resp.Body)
		readc <- read{b, err}
	}()
	select {
	case <-ctx.Done():
		cancel()
		<-readc
		return nil, nil, ctx.Err()
	case rd := <-readc:
		return res.resp, rd.body, rd.err
	}
}

// printCURL writes the request as a curl command line, the --debug output of SPEC 9.1.
func (c *client) printCURL(method string, u *url.URL, r *apiRequest) {
	if c.cfg.debug == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "curl -X %s %s", method, u.String())
	if r.hasBody {
		fmt.Fprintf(&b, " -d %q", r.body)
	}
	fmt.Fprintf(c.cfg.debug, "cURL Command: %s\n", b.String())
}
