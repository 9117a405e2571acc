package service

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"
)

// DocsURL is where GET / sends visitors.
const DocsURL = "https://github.com/etcd2/etcd2#bootstrapping-without-a-member-list"

// registryPrefix is the backend directory holding every token, as in the original.
const registryPrefix = "/v2/keys/_etcd/registry"

// Config configures a Service.
type Config struct {
	// Backend is the keys API the tokens live in (scheme://host, no path).
	Backend string
	// Host is the public base URL printed in front of new tokens (scheme://host).
	Host string
	// TokenTTL, when positive, makes a token's directory expire unless size members
	// register within it. Zero keeps tokens forever, as the original did.
	TokenTTL time.Duration
	Logger   zerolog.Logger
	// Registry receives the request counters; /metrics serves it. Required.
	Registry *prometheus.Registry
	// Transport carries the backend requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// Service is the discovery service's HTTP handler.
type Service struct {
	backend  *url.URL
	host     string
	tokenTTL time.Duration
	lg       zerolog.Logger
	hc       *http.Client
	proxy    http.Handler
	metrics  *metrics
	router   chi.Router
}

// New validates cfg and builds the service.
func New(cfg Config) (*Service, error) {
	backend, err := HostOnlyURL(cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	host, err := HostOnlyURL(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	if cfg.Registry == nil {
		return nil, errors.New("service: a metrics registry is required")
	}
	if cfg.TokenTTL < 0 {
		return nil, errors.New("service: the token TTL must not be negative")
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Service{
		backend:  backend,
		host:     host.String(),
		tokenTTL: cfg.TokenTTL,
		lg:       cfg.Logger.With().Str("component", "discovery-service").Logger(),
		hc:       &http.Client{Transport: tr, Timeout: backendTimeout},
		metrics:  m,
	}
	s.proxy = s.newProxy(tr)
	s.router = s.routes(cfg.Registry)
	return s, nil
}

// HostOnlyURL parses a URL that must be scheme://host with nothing after it (the
// original refuses paths, queries and fragments at start), and returns it cleaned of a
// trailing slash.
func HostOnlyURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("Invalid url given: %v", err)
	case u.Path != "" && u.Path != "/":
		return nil, fmt.Errorf("Expected url without path (%v)", u.Path)
	case u.RawQuery != "":
		return nil, fmt.Errorf("Expected url without query (?%v)", u.RawQuery)
	case u.Fragment != "":
		return nil, fmt.Errorf("Expected url without fragment (%v)", u.Fragment)
	case u.Host == "":
		return nil, errors.New("Expected hostname (none given)")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("Expected an http or https url (%v)", s)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// ServeHTTP serves one request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// tokenPattern is a token as /new makes them: 32 lowercase hex digits.
const tokenPattern = "{token:[a-f0-9]{32}}"

func (s *Service) routes(reg *prometheus.Registry) chi.Router {
	r := chi.NewRouter()
	r.Use(requestLogging(s.lg))
	r.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, DocsURL, http.StatusMovedPermanently)
	})
	r.HandleFunc("/robots.txt", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /")
	})
	r.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	r.With(s.metrics.count(s.metrics.newRequests)).HandleFunc("/new", s.newToken)
	r.With(s.metrics.count(s.metrics.healthRequests)).HandleFunc("/health", s.health)

	// The original's routes and methods (SPEC §7.2): anything else under a token is 405,
	// anything that is not a token 404.
	r.Group(func(r chi.Router) {
		r.Use(s.metrics.count(s.metrics.tokenRequests))
		r.Get("/"+tokenPattern, s.tokenGet)
		r.Put("/"+tokenPattern, s.proxy.ServeHTTP)
		r.Get("/"+tokenPattern+"/", s.proxy.ServeHTTP)
		r.Put("/"+tokenPattern+"/", s.proxy.ServeHTTP)
		r.Get("/"+tokenPattern+"/{machine}", s.proxy.ServeHTTP)
		r.Put("/"+tokenPattern+"/{machine}", s.proxy.ServeHTTP)
		r.Delete("/"+tokenPattern+"/{machine}", s.proxy.ServeHTTP)
		r.Get("/"+tokenPattern+"/_config/size", s.proxy.ServeHTTP)
	})
	return r
}

// requestLogging attaches the logger with a req_id to every request and logs one access
// line per request at Debug (STYLE §5).
func requestLogging(lg zerolog.Logger) func(http.Handler) http.Handler {
	withLogger := hlog.NewHandler(lg)
	withID := hlog.RequestIDHandler("req_id", "")
	access := hlog.AccessHandler(func(r *http.Request, status, size int, took time.Duration) {
		hlog.FromRequest(r).Debug().Str("method", r.Method).Str("path", r.URL.Path).
			Int("status", status).Int("size", size).Dur("took", took).Msg("request")
	})
	return func(next http.Handler) http.Handler { return withLogger(withID(access(next))) }
}

// tokenURL is the public URL of token.
func (s *Service) tokenURL(token string) string {
	return strings.TrimRight(s.host, "/") + "/" + token
}
