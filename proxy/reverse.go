package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// hopHeaders are the hop-by-hop headers removed from requests and responses (the
// reference's list, itself borrowed from net/http/httputil).
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailers", "Transfer-Encoding", "Upgrade",
}

// reverseProxy forwards one client request to the first endpoint that answers.
type reverseProxy struct {
	dir       *director
	transport http.RoundTripper
	metrics   *metrics
	lg        zerolog.Logger
	done      <-chan struct{} // closed at shutdown: ends open watches
}

func (p *reverseProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	p.metrics.incoming.WithLabelValues(r.Method).Inc()

	// The body is read whole so that it can be replayed to the next endpoint when one
	// fails. The members limit request sizes; the proxy, as the reference's, does not.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "httpproxy: failed to read request body: "+err.Error())
		return
	}
	ctx := r.Context()
	if p.done != nil && r.URL.Query().Get("wait") == "true" {
		// A watch can stay open for ever; at shutdown it ends, as on a member.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-p.done:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	out := outgoingRequest(r.WithContext(ctx))

	eps := p.dir.available()
	if len(eps) == 0 {
		p.metrics.requestDropped(r, dropZeroEndpoints)
		p.lg.Debug().Str("method", r.Method).Str("path", r.URL.Path).Msg("zero endpoints currently available")
		writeError(w, http.StatusServiceUnavailable, "httpproxy: zero endpoints currently available")
		return
	}

	var resp *http.Response
	for _, ep := range eps {
		out.URL.Scheme, out.URL.Host = ep.url.Scheme, ep.url.Host
		setBody(out, body)
		resp, err = p.transport.RoundTrip(out)
		if ctx.Err() != nil {
			// The client left (or the proxy is stopping): no one to answer, and no
			// reason to hold the endpoint responsible.
			if resp != nil {
				resp.Body.Close()
			}
			p.lg.Debug().Str("remote", r.RemoteAddr).Msg("client closed request prematurely")
			return
		}
		if err != nil {
			p.metrics.requestDropped(r, dropFailedSendingRequest)
			p.dir.failed(ep, err)
			continue
		}
		p.lg.Debug().Str("method", r.Method).Str("path", r.URL.Path).Str("endpoint", ep.url.String()).
			Int("status", resp.StatusCode).Msg("proxied request")
		break
	}
	if resp == nil {
		p.metrics.requestDropped(r, dropFailedGettingResponse)
		p.lg.Warn().Int("endpoints", len(eps)).Msg("unable to get response from any endpoint")
		writeError(w, http.StatusBadGateway, fmt.Sprintf("httpproxy: unable to get response from %d endpoint(s)", len(eps)))
		return
	}
	defer resp.Body.Close()
	p.metrics.requestHandled(r, resp.StatusCode, started)

	removeHopHeaders(resp.Header)
	// Added, not set: headers the proxy wrote already (CORS) stay, and the member's own
	// copies follow them, as with the reference.
	h := w.Header()
	for k, vv := range resp.Header {
		for _, v := range vv {
			h.Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	copyFlushing(w, resp.Body)
}

// outgoingRequest copies r for a member: its own header map without hop-by-hop headers,
// HTTP/1.1, and the client's address appended to X-Forwarded-For. The client's Host
// header is kept (the members do not look at it).
func outgoingRequest(r *http.Request) *http.Request {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Proto, out.ProtoMajor, out.ProtoMinor = "HTTP/1.1", 1, 1
	out.Close = false
	out.TransferEncoding = nil // the body is buffered: sent with its length
	removeHopHeaders(out.Header)
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		// A proxy behind another keeps the earlier hops, folded into one header.
		if prior, ok := out.Header["X-Forwarded-For"]; ok {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		out.Header.Set("X-Forwarded-For", ip)
	}
	return out
}

// setBody gives out a fresh reader over body for one attempt.
func setBody(out *http.Request, body []byte) {
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body, out.GetBody = http.NoBody, nil
		return
	}
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

func removeHopHeaders(h http.Header) {
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

// copyFlushing copies the member's answer and flushes after every read, so that
// streamed watch events and long-poll headers reach the client at once. (The reference
// buffers them in its response writer until 4 KiB or the end of the answer; a
// stream=true watch through it shows nothing for a long time.)
func copyFlushing(w http.ResponseWriter, body io.Reader) {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if ferr := rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// writeError answers with the reference's proxy error shape: {"message":"..."}.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	w.Write(b)
}
