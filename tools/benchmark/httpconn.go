package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// The load loops speak HTTP/1.1 themselves over plain keep-alive connections. net/http's
// client spends about 15 µs of CPU per request on top of the syscalls, which on a 2-core
// machine with the tool pinned to one core caps it near the reference's GET rate: the tool,
// not the server, would set the figure. This client writes a prepared request and parses
// only what framing needs (status, Content-Length, chunked encoding, Connection: close).

// ErrProtocol reports a response this client cannot frame.
var ErrProtocol = errors.New("benchmark: malformed HTTP response")

// httpConn is one keep-alive connection to one endpoint, used by one request at a time.
type httpConn struct {
	conn net.Conn
	r    *bufio.Reader
	body []byte // reused buffer for bodies that are kept
	used bool   // a response came back over it before
}

func dialHTTP(ctx context.Context, hostport string) (*httpConn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", hostport, err)
	}
	return &httpConn{conn: c, r: bufio.NewReaderSize(c, 16<<10)}, nil
}

// response is what roundTrip hands back; Body is only valid until the next request.
type response struct {
	Status int
	Body   []byte // kept for statuses of 300 and above (for error messages), else nil
	Close  bool   // the server will close the connection
}

// roundTrip writes req (a complete HTTP/1.1 request) and reads one response. Any error
// leaves the connection unusable.
func (c *httpConn) roundTrip(req []byte, deadline time.Time) (response, error) {
	if err := c.conn.SetDeadline(deadline); err != nil {
		return response{}, err
	}
	if _, err := c.conn.Write(req); err != nil {
		return response{}, fmt.Errorf("write request: %w", err)
	}
	return c.readResponse()
}

func (c *httpConn) close() { c.conn.Close() }

func (c *httpConn) readResponse() (response, error) {
	h, err := c.readHead()
	if err != nil {
		return response{}, err
	}
	keep := h.Status >= 300
	body, err := c.readBody(&h, keep)
	if err != nil {
		return response{}, err
	}
	resp := response{Status: h.Status, Close: h.Close}
	if keep {
		resp.Body = body
	}
	return resp, nil
}

// head is a response's status line and the headers that matter here.
type head struct {
	Status    int
	Close     bool  // the server will close the connection
	length    int64 // Content-Length, -1 when absent
	chunked   bool
	EtcdIndex string // X-Etcd-Index
}

// readHead reads the status line and the headers.
func (c *httpConn) readHead() (head, error) {
	line, err := c.readLine()
	if err != nil {
		return head{}, fmt.Errorf("read status: %w", err)
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return head{}, fmt.Errorf("%w: status line %q", ErrProtocol, line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return head{}, fmt.Errorf("%w: status line %q", ErrProtocol, line)
	}
	h := head{Status: status, Close: line[7] == '0', length: -1} // HTTP/1.0 closes by default
	for {
		line, err := c.readLine()
		if err != nil {
			return head{}, fmt.Errorf("read header: %w", err)
		}
		if len(line) == 0 {
			return h, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return head{}, fmt.Errorf("%w: header %q", ErrProtocol, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if h.length, err = strconv.ParseInt(string(value), 10, 64); err != nil || h.length < 0 {
				return head{}, fmt.Errorf("%w: Content-Length %q", ErrProtocol, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			h.chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			h.Close = h.Close || bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("X-Etcd-Index")):
			h.EtcdIndex = string(value)
		}
	}
}

// readBody consumes the body h announces and returns it when keep is set (valid until the
// next read). A body delimited by the connection's end marks h to close.
func (c *httpConn) readBody(h *head, keep bool) ([]byte, error) {
	c.body = c.body[:0]
	var err error
	switch {
	case h.Status/100 == 1 || h.Status == 204 || h.Status == 304:
		// No body by definition.
	case h.chunked:
		err = c.readChunked(keep)
	case h.length >= 0:
		err = c.readN(h.length, keep)
	default:
		h.Close = true
		err = c.readN(-1, keep)
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if !keep {
		return nil, nil
	}
	return c.body, nil
}

// readLine returns one CRLF- or LF-terminated line without its terminator.
func (c *httpConn) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, c.r.Size())
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readN consumes n body bytes (n < 0: up to EOF), appending them to c.body when keep.
func (c *httpConn) readN(n int64, keep bool) error {
	var src io.Reader = c.r
	if n >= 0 {
		src = io.LimitReader(c.r, n)
	}
	if !keep {
		if n >= 0 {
			_, err := c.r.Discard(int(n))
			return err
		}
		_, err := io.Copy(io.Discard, src)
		return err
	}
	buf := bytes.NewBuffer(c.body)
	if _, err := buf.ReadFrom(src); err != nil {
		return err
	}
	if n >= 0 && int64(buf.Len()-len(c.body)) != n {
		return io.ErrUnexpectedEOF
	}
	c.body = buf.Bytes()
	return nil
}

// readChunked consumes a chunked body and its trailer section.
func (c *httpConn) readChunked(keep bool) error {
	for {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions are ignored
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("%w: chunk size %q", ErrProtocol, line)
		}
		if size == 0 {
			break
		}
		if err := c.readN(size, keep); err != nil {
			return err
		}
		if crlf, err := c.readLine(); err != nil || len(crlf) != 0 {
			return fmt.Errorf("%w: no CRLF after chunk", ErrProtocol)
		}
	}
	for { // trailers, up to the empty line
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
	}
}

// connPool holds up to size connections to one endpoint; a request takes one, or waits
// for one when all are busy, and gives it back afterwards.
type connPool struct {
	hostport string
	slots    chan *httpConn // nil entries are slots not dialed yet (or lost)
}

func newConnPool(hostport string, size int) *connPool {
	p := &connPool{hostport: hostport, slots: make(chan *httpConn, size)}
	for range size {
		p.slots <- nil
	}
	return p
}

// get takes a connection, dialing when the slot holds none.
func (p *connPool) get(ctx context.Context) (*httpConn, error) {
	var c *httpConn
	select {
	case c = <-p.slots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c != nil {
		return c, nil
	}
	c, err := dialHTTP(ctx, p.hostport)
	if err != nil {
		p.slots <- nil
		return nil, err
	}
	return c, nil
}

// put gives c back; a broken connection (reusable false) is closed and its slot emptied.
func (p *connPool) put(c *httpConn, reusable bool) {
	if !reusable {
		c.close()
		c = nil
	}
	p.slots <- c
}

// closeAll closes the idle connections; call it when no request is in flight.
func (p *connPool) closeAll() {
	for range cap(p.slots) {
		if c := <-p.slots; c != nil {
			c.close()
		}
	}
}
