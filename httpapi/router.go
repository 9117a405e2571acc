package httpapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// New returns the handler of every client-facing route (SPEC §1). It registers the store
// and health metrics in cfg.Registry, so it fails if they are registered already.
func New(cfg Config) (http.Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := registerMetrics(cfg.Registry, cfg.KV)
	if err != nil {
		return nil, err
	}
	lg := cfg.Logger.With().Str("component", "httpapi").Logger()
	hdr := newHeaders()
	bufs := &bufferPool{}
	authz := newAuthorizer(cfg.Auth, cfg.ClientCertAuth)

	keys := &keysHandler{
		srv: cfg.Server, kv: cfg.KV, clock: cfg.Clock, timeout: cfg.RequestTimeout,
		maxBody: cfg.MaxRequestBytes, donec: cfg.Done, hdr: hdr, bufs: bufs,
		watchRequests: m.watchRequests, auth: authz,
	}
	mem := &membersHandler{srv: cfg.Server, timeout: cfg.RequestTimeout, hdr: hdr, auth: authz}
	st := &statsHandler{srv: cfg.Server, kv: cfg.KV, hdr: hdr, bufs: bufs}
	basic := &basicHandler{
		srv: cfg.Server, version: cfg.Version, hdr: hdr,
		healthOK: m.healthOK, healthFailed: m.healthFailed,
	}

	r := chi.NewRouter()
	r.Use(recoverer(lg), requestLogging(lg), cors(cfg.CORS), cleanPaths, limitBody(cfg.MaxRequestBytes))
	r.NotFound(http.NotFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) { methodNotAllowed(w, "") })

	r.Handle(keysPrefix, keys)
	r.Handle(keysPrefix+"/*", keys)
	r.Handle(membersPrefix, mem)
	r.Handle(membersPrefix+"/*", mem)
	r.HandleFunc("/v2/stats/self", allowMethods("GET", st.self))
	r.HandleFunc("/v2/stats/leader", allowMethods("GET", st.leader))
	r.HandleFunc("/v2/stats/store", allowMethods("GET", st.store))
	r.HandleFunc("/v2/machines", allowMethods("GET,HEAD", st.machines))
	r.HandleFunc("/version", allowMethods("GET", basic.serveVersion))
	r.HandleFunc("/health", allowMethods("GET", basic.serveHealth))
	// Like the reference's promhttp handler, /metrics answers any method.
	r.Handle("/metrics", promhttp.InstrumentMetricHandler(cfg.Registry,
		promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})))
	r.HandleFunc("/debug/vars", allowMethods("GET", serveVars))
	if cfg.Auth != nil {
		(&authHandler{st: cfg.Auth, authz: authz, srv: cfg.Server, hdr: hdr, timeout: cfg.RequestTimeout}).routes(r)
	}
	if cfg.SetLogLevel != nil {
		r.Handle("/config/local/log", allowMethods("PUT", (&logLevelHandler{set: cfg.SetLogLevel}).ServeHTTP))
	}
	if cfg.EnablePprof {
		mountPprof(r)
	}
	return routeAnyMethod(r), nil
}

// routeAnyMethod lets methods chi does not know (FOO) reach the routes. chi answers them
// with its MethodNotAllowed handler before matching a path, whereas the reference routes
// by path first and lets the resource answer (405 with its Allow list, 404 for an unknown
// path, 200 from /metrics). Every route here accepts all methods and checks them itself,
// so routing an unknown method as GET changes nothing but the lookup.
func routeAnyMethod(mux *chi.Mux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
			mux.ServeHTTP(w, r)
			return
		}
		rctx := chi.NewRouteContext()
		rctx.RouteMethod = http.MethodGet
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rctx)))
	})
}
