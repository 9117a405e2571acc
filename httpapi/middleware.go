package httpapi

import (
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/etcd2/etcd2/store"
)

// recoverer turns a panic in a handler into a logged stack and a 500 in etcd's error
// shape (code 300), so that nothing a client sends can take the member down.
func recoverer(lg zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v) // net/http's way to abort a response; it logs nothing
				}
				lg.Error().Str("method", r.Method).Str("path", r.URL.Path).
					Interface("panic", v).Bytes("stack", debug.Stack()).Msg("handler panicked")
				body := store.NewError(store.CodeRaftInternal, "internal server error", 0).AppendJSON(nil)
				h := w.Header()
				h.Set(hdrContentType, contentJSON)
				h.Set(hdrEtcdIndex, "0")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write(body)
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// requestLogging attaches a child logger with a req_id to every request and writes one
// access-log line per request at Debug (STYLE §5).
func requestLogging(lg zerolog.Logger) func(http.Handler) http.Handler {
	withLogger := hlog.NewHandler(lg)
	withID := hlog.RequestIDHandler("req_id", "")
	access := hlog.AccessHandler(func(r *http.Request, status, size int, took time.Duration) {
		hlog.FromRequest(r).Debug().Str("method", r.Method).Str("path", r.URL.Path).
			Int("status", status).Int("size", size).Dur("took", took).Msg("request")
	})
	return func(next http.Handler) http.Handler {
		return withLogger(withID(access(next)))
	}
}

// cors adds the CORS headers to every response and answers OPTIONS on any path with an
// empty 200 (SPEC §1). origins empty or holding "*" allows every origin.
func cors(origins []string) func(http.Handler) http.Handler {
	allowAll := len(origins) == 0
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		if o == "*" {
			allowAll = true
		}
		allowed[o] = true
	}
	methods := []string{"POST, GET, OPTIONS, PUT, DELETE"}
	hdrs := []string{"accept, content-type, authorization"}
	star := []string{"*"}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var origin []string
			if allowAll {
				origin = star
			} else if o := r.Header.Get("Origin"); o != "" && allowed[o] {
				origin = []string{o}
			}
			if origin != nil {
				h := w.Header()
				h["Access-Control-Allow-Origin"] = origin
				h["Access-Control-Allow-Methods"] = methods
				h["Access-Control-Allow-Headers"] = hdrs
			}
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusOK)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// cleanPaths redirects a path with "//", "." or ".." components to its clean form with
// 301, exactly as Go's ServeMux (which the reference uses) does, trailing slash kept.
// It also drops the raw (escaped) form of the path so that routing sees the decoded path
// like ServeMux does: /v2/ke%79s is /v2/keys.
func cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			if p := cleanPath(r.URL.Path); p != r.URL.Path {
				u := *r.URL
				u.Path, u.RawPath = p, ""
				http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
				return
			}
		}
		if r.URL.RawPath != "" {
			r2 := *r
			u := *r.URL
			u.RawPath = ""
			r2.URL = &u
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPath is ServeMux's canonical path: rooted, path.Clean'ed, trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && strings.HasPrefix(p, np) {
			return p
		}
		return np + "/"
	}
	return np
}

// limitBody caps every request body at max bytes; readers past it fail with
// *http.MaxBytesError, which handlers answer with 413.
func limitBody(max int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}
