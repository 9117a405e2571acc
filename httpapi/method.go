package httpapi

import (
	"net/http"
	"strings"
)

// methodNotAllowed answers 405 with the Allow list exactly as the reference spells it
// (comma-separated, no spaces) and its plain-text body.
func methodNotAllowed(w http.ResponseWriter, allow string) {
	if allow != "" {
		w.Header()[hdrAllow] = []string{allow}
	}
	http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
}

// allowMethods wraps h so that methods outside allow (a comma-separated list) get 405.
func allowMethods(allow string, h http.HandlerFunc) http.HandlerFunc {
	methods := strings.Split(allow, ",")
	return func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m {
				h(w, r)
				return
			}
		}
		methodNotAllowed(w, allow)
	}
}
