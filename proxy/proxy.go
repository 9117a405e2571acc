package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// DefaultRefreshInterval is the default --proxy-refresh-interval.
const DefaultRefreshInterval = 30 * time.Second

// emptyRetryInterval is how soon the endpoints are asked for again while none is
// available (the reference retries every second when it runs with the default interval).
const emptyRetryInterval = time.Second

// Config configures a Proxy.
type Config struct {
	// Transport carries the proxied requests (see NewTransport).
	Transport http.RoundTripper
	// URLs returns the members' current client URLs; it is called at every refresh.
	// An empty answer (the cluster could not be reached) leaves no endpoint.
	URLs func(ctx context.Context) []string
	// FailureWait is how long an endpoint stays unavailable after a transport error.
	FailureWait time.Duration
	// RefreshInterval is the time between two calls of URLs.
	RefreshInterval time.Duration
	// ReadOnly answers every method but GET with 501 Not Implemented.
	ReadOnly bool
	// CORS lists the allowed origins; empty or containing "*" allows every origin.
	CORS []string
	// Registerer receives the etcd_proxy_* metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	Logger     zerolog.Logger
	// Done, when closed, ends the watches (wait=true) being proxied, so that a
	// graceful HTTP shutdown does not wait for them; nil leaves them open.
	Done <-chan struct{}
	// Clock times failure waits; nil is the wall clock.
	Clock Clock
	// Shuffle orders the endpoints at each refresh; nil is math/rand/v2's Shuffle.
	Shuffle func(n int, swap func(i, j int))
}

// Proxy is the v2 client-API proxy. It is stateless apart from the endpoint list.
type Proxy struct {
	dir             *director
	urls            func(ctx context.Context) []string
	refreshInterval time.Duration
	handler         http.Handler
	lg              zerolog.Logger
}

// New builds a Proxy from cfg. It does no I/O: call Refresh for the first endpoint list
// and Run to keep it fresh.
func New(cfg Config) (*Proxy, error) {
	if cfg.Transport == nil || cfg.URLs == nil {
		return nil, errors.New("proxy: a transport and a URLs function are required")
	}
	if cfg.RefreshInterval <= 0 {
		return nil, errors.New("proxy: the refresh interval must be positive")
	}
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	if cfg.Shuffle == nil {
		cfg.Shuffle = rand.Shuffle
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	lg := cfg.Logger.With().Str("component", "proxy").Logger()
	p := &Proxy{
		dir: &director{
			failureWait: cfg.FailureWait, clock: cfg.Clock, shuffle: cfg.Shuffle, lg: lg,
		},
		urls:            cfg.URLs,
		refreshInterval: cfg.RefreshInterval,
		lg:              lg,
	}
	rp := &reverseProxy{dir: p.dir, transport: cfg.Transport, metrics: m, lg: lg, done: cfg.Done}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/config/local/proxy" {
			p.serveConfig(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	})
	// As in the reference, CORS wraps the proxy and readonly wraps both, so that a
	// readonly proxy answers OPTIONS with 501 as well; unclean paths are redirected
	// before any of them.
	h = corsHandler(cfg.CORS, h)
	if cfg.ReadOnly {
		h = readonly(h)
	}
	p.handler = cleanPaths(h)
	return p, nil
}

// Handler serves the client API through the proxy.
func (p *Proxy) Handler() http.Handler { return p.handler }

// Endpoints returns the endpoints available now, in the order they are tried.
func (p *Proxy) Endpoints() []string {
	eps := p.dir.available()
	out := make([]string, len(eps))
	for i, ep := range eps {
		out[i] = ep.url.String()
	}
	return out
}

// Refresh asks for the members' client URLs once and replaces the endpoint list.
func (p *Proxy) Refresh(ctx context.Context) {
	if p.dir.setURLs(p.urls(ctx)) {
		p.lg.Info().Strs("endpoints", p.dir.urls()).Msg("proxy endpoints changed")
	}
}

// Run refreshes the endpoint list every refresh interval until ctx ends; while no
// endpoint is available it asks again after at most a second.
func (p *Proxy) Run(ctx context.Context) error {
	for {
		wait := p.refreshInterval
		if wait > emptyRetryInterval && len(p.dir.available()) == 0 {
			wait = emptyRetryInterval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		p.Refresh(ctx)
	}
}

// serveConfig is GET /v2/config/local/proxy: the endpoints available now. The body is
// the reference's, with its sniffed text/plain content type.
func (p *Proxy) serveConfig(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	json.NewEncoder(w).Encode(struct {
		Endpoints []string `json:"endpoints"`
	}{p.Endpoints()})
}

// cleanPaths redirects a request for an unclean path (//, /./, /../) to the clean one
// with a 301, without forwarding it: the reference's http.ServeMux of Go 1.19 did so in
// front of the proxy (today's ServeMux would answer 307).
func cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			if p := cleanPath(r.URL.Path); p != r.URL.Path {
				u := &url.URL{Path: p, RawQuery: r.URL.RawQuery}
				http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPath is path.Clean rooted at /, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// readonly answers every method but GET (HEAD and OPTIONS included) with an empty 501,
// as the reference's readonly proxy does.
func readonly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusNotImplemented)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// corsHandler adds the CORS headers the members add and answers OPTIONS itself with an
// empty 200. origins empty or holding "*" allows every origin.
func corsHandler(origins []string, next http.Handler) http.Handler {
	allowAll := len(origins) == 0
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		if o == "*" {
			allowAll = true
		}
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := ""
		if allowAll {
			origin = "*"
		} else if o := r.Header.Get("Origin"); allowed[o] {
			origin = o
		}
		if origin != "" {
			h := w.Header()
			h.Add("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE")
			h.Add("Access-Control-Allow-Origin", origin)
			h.Add("Access-Control-Allow-Headers", "accept, content-type, authorization")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}
