package httpapi

import (
	"expvar"
	"net/http"
	"net/http/pprof"

	"github.com/go-chi/chi/v5"
)

// serveVars writes the process's expvars as one JSON object, one variable per line, like
// the reference's /debug/vars.
func serveVars(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(hdrContentType, "application/json; charset=utf-8")
	buf := []byte("{\n")
	first := true
	expvar.Do(func(kv expvar.KeyValue) {
		if !first {
			buf = append(buf, ",\n"...)
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, kv.Key...) // expvar names are plain identifiers
		buf = append(buf, `": `...)
		buf = append(buf, kv.Value.String()...)
	})
	buf = append(buf, "\n}\n"...)
	_, _ = w.Write(buf)
}

// mountPprof serves the runtime profiles under /debug/pprof/ (--enable-pprof).
func mountPprof(r chi.Router) {
	r.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	r.HandleFunc("/debug/pprof/profile", pprof.Profile)
	r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	r.HandleFunc("/debug/pprof/trace", pprof.Trace)
	r.HandleFunc("/debug/pprof/*", pprof.Index) // the index and every named profile
	// ServeMux, which the reference uses, redirects a subtree's bare name to the subtree.
	r.Handle("/debug/pprof", http.RedirectHandler("/debug/pprof/", http.StatusMovedPermanently))
}
