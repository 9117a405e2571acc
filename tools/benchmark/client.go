package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
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
		// The load client speaks plain HTTP/1.1 only (httpconn.go).
		if u.Scheme != "http" || u.Host == "" || u.Path != "" || u.RawQuery != "" {
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

// v2Client issues v2 keys requests, walking its endpoints round-robin, one request at a
// time. It is used by one goroutine.
type v2Client struct {
	pools   []*connPool // one per endpoint
	next    int
	quorum  bool
	timeout time.Duration
	req     []byte // the request being built, reused
}

// newV2Client returns a client over pools (one per endpoint) that starts at endpoint first.
func newV2Client(pools []*connPool, first int, quorum bool, timeout time.Duration) *v2Client {
	return &v2Client{pools: pools, next: first % len(pools), quorum: quorum, timeout: timeout}
}

// newPools returns one pool of size connections for each endpoint.
func newPools(endpoints []string, size int) []*connPool {
	pools := make([]*connPool, len(endpoints))
	for i, ep := range endpoints {
		pools[i] = newConnPool(strings.TrimPrefix(ep, "http://"), size)
	}
	return pools
}

// put sets key (a path starting with '/', needing no escaping) to value; 200 and 201 are
// success.
func (c *v2Client) put(ctx context.Context, key, value string) error {
	pool := c.pick()
	form := url.QueryEscape(value)
	b := append(c.req[:0], "PUT /v2/keys"...)
	b = append(b, key...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, pool.hostport...)
	b = append(b, "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len("value=")+len(form)), 10)
	b = append(b, "\r\n\r\nvalue="...)
	b = append(b, form...)
	c.req = b
	return c.do(ctx, pool, http.MethodPut, key)
}

// get reads key; only 200 is success.
func (c *v2Client) get(ctx context.Context, key string) error {
	pool := c.pick()
	b := append(c.req[:0], "GET /v2/keys"...)
	b = append(b, key...)
	if c.quorum {
		b = append(b, "?quorum=true"...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, pool.hostport...)
	b = append(b, "\r\n\r\n"...)
	c.req = b
	return c.do(ctx, pool, http.MethodGet, key)
}

func (c *v2Client) pick() *connPool {
	p := c.pools[c.next]
	c.next = (c.next + 1) % len(c.pools)
	return p
}

// do sends c.req over a connection of pool. A request that fails on a connection used
// before is sent once more on a new one: the server may have closed it while idle.
func (c *v2Client) do(ctx context.Context, pool *connPool, method, key string) error {
	for attempt := 0; ; attempt++ {
		conn, err := pool.get(ctx)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, key, err)
		}
		reused := conn.used
		resp, err := conn.roundTrip(c.req, time.Now().Add(c.timeout))
		if err != nil {
			pool.put(conn, false)
			if reused && attempt == 0 {
				continue
			}
			return fmt.Errorf("%s %s on %s: %w", method, key, pool.hostport, err)
		}
		conn.used = true
		pool.put(conn, !resp.Close)
		if resp.Status >= 300 {
			return fmt.Errorf("%w: %s %s on %s: %d %s", ErrStatus, method, key, pool.hostport, resp.Status, bytes200(resp.Body))
		}
		return nil
	}
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
