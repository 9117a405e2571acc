package proxy

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// maxIdleConnsPerHost keeps up to 128 connections to each member open between
// requests, the reference's number: a busy proxy then does not open (and leave in
// TIME_WAIT) a connection per request.
const maxIdleConnsPerHost = 128

// NewTransport returns the transport of the proxied requests and of the member-list
// requests: dial bounds connecting; read and write, when not zero, bound every single
// read and write on a connection (the reference's --proxy-read-timeout and
// --proxy-write-timeout; a read timeout cuts watches that stay quiet longer, which is
// why it defaults to 0). tlsConfig is used for https members.
func NewTransport(tlsConfig *tls.Config, dial, read, write time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil, // never through an HTTP_PROXY: members are reached directly
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil || (read == 0 && write == 0) {
				return c, err
			}
			return &deadlineConn{Conn: c, read: read, write: write}, nil
		},
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: maxIdleConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		// Answers pass through byte for byte: no transparent gzip.
		DisableCompression: true,
	}
}

// deadlineConn sets a fresh deadline before every read and write.
type deadlineConn struct {
	net.Conn
	read, write time.Duration
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	if c.read > 0 {
		if err := c.Conn.SetReadDeadline(time.Now().Add(c.read)); err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if c.write > 0 {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(c.write)); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}
