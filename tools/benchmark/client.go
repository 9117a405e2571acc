package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrStatus reports an HTTP status the scenario did not expect.
var ErrStatus = errors.New("benchmark: unexpected status")

// ErrNoEndpoints reports an empty --endpoints list.
var ErrNoEndpoints = errors.New("benchmark: no endpoints")

// parseEndpoints splits a comma-separated list of base URLs and checks each one.
func parseEndpoints(list string) ([]string, error) {
	var eps []string
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %w", s, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q: want http://host:port", s)
		}
		eps = append(eps, s)
	}
	if len(eps) == 0 {
		return nil, ErrNoEndpoints
	}
	return eps, nil
}

// newTransport returns a keep-alive transport holding at most maxConns connections per
// endpoint (0 = no limit). It ignores proxy variables: load must go straight to the server.
func newTransport(maxConns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     maxConns,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: max(maxConns, 1024),
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// v2Client issues v2 keys requests over one transport, walking its endpoints round-robin.
// It is used by one goroutine at a time.
type v2Client struct {
	hc        *http.Client
	endpoints []string
	next      int
	quorum    bool
	timeout   time.Duration
}

func newV2Client(rt http.RoundTripper, endpoints []string, first int, quorum bool, timeout time.Duration) *v2Client {
	return &v2Client{
		hc:        &http.Client{Transport: rt},
		endpoints: endpoints,
		next:      first % len(endpoints),
		quorum:    quorum,
		timeout:   timeout,
	}
}

// keyURL returns the next endpoint's URL for key (which starts with '/').
func (c *v2Client) keyURL(key string) string {
	ep := c.endpoints[c.next]
	c.next = (c.next + 1) % len(c.endpoints)
	return ep + "/v2/keys" + key
}

// put sets key to value; 200 and 201 are success.
func (c *v2Client) put(ctx context.Context, key, value string) error {
	body := "value=" + url.QueryEscape(value)
	return c.do(ctx, http.MethodPut, c.keyURL(key), strings.NewReader(body), http.StatusOK, http.StatusCreated)
}

// get reads key; only 200 is success.
func (c *v2Client) get(ctx context.Context, key string) error {
	u := c.keyURL(key)
	if c.quorum {
		u += "?quorum=true"
	}
	return c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
}

func (c *v2Client) do(ctx context.Context, method, u string, body io.Reader, okCodes ...int) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	// Read to the end so the connection goes back to the pool for the next request.
	msg, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, u, err)
	}
	for _, code := range okCodes {
		if resp.StatusCode == code {
			return nil
		}
	}
	return fmt.Errorf("%w: %s %s: %d %s", ErrStatus, method, u, resp.StatusCode, bytes200(msg))
}

// bytes200 trims a response body for an error message.
func bytes200(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// makeValue returns a value of n printable bytes that needs no form escaping.
func makeValue(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[i%len(letters)]
	}
	return string(b)
}
