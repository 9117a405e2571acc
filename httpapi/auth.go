package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog/hlog"

	"github.com/etcd2/etcd2/auth"
	"github.com/etcd2/etcd2/store"
)

// authHandler serves /v2/auth (SPEC §6). Every endpoint but GET /v2/auth/enable needs the
// root role once auth is enabled. Success bodies are json.Encoder output (HTML-escaped,
// newline-terminated), errors {"message":…} without a newline, as the reference.
type authHandler struct {
	st      *auth.Store
	authz   *authorizer
	srv     Server
	hdr     *headers
	timeout time.Duration
}

const authPrefix = "/v2/auth"

func (h *authHandler) routes(r chi.Router) {
	r.HandleFunc(authPrefix+"/enable", h.serveEnable)
	r.HandleFunc(authPrefix+"/users", h.serveUsers)
	r.HandleFunc(authPrefix+"/users/*", h.serveUsers)
	r.HandleFunc(authPrefix+"/roles", h.serveRoles)
	r.HandleFunc(authPrefix+"/roles/*", h.serveRoles)
}

// authSubject splits /v2/auth/<kind>[/<name>] after cleaning it: name is "" for the
// collection. Deeper paths are answered 400 "Invalid path" before anything else is checked.
func authSubject(w http.ResponseWriter, p string) (name string, ok bool) {
	pieces := strings.Split(path.Clean(strings.TrimPrefix(p, authPrefix)), "/")
	switch len(pieces) {
	case 2:
		return "", true
	case 3:
		return pieces[2], true
	}
	writeMessage(w, http.StatusBadRequest, "Invalid path")
	return "", false
}

// allowAuthMethod answers 405 with the reference's Allow list when m is not in it.
func allowAuthMethod(w http.ResponseWriter, m, allow string) bool {
	for a := range strings.SplitSeq(allow, ",") {
		if m == a {
			return true
		}
	}
	methodNotAllowed(w, allow)
	return false
}

// admit checks the method, then root access (root writes only for enable), then sets the
// headers of every admitted answer.
func (h *authHandler) admit(w http.ResponseWriter, r *http.Request, allow string, readsOpen bool) bool {
	if !allowAuthMethod(w, r.Method, allow) {
		return false
	}
	ok := h.authz.rootAccess(r)
	if readsOpen {
		ok = h.authz.writeRootAccess(r)
	}
	if !ok {
		writeNoAuth(w)
		return false
	}
	h.hdr.setClusterID(w.Header(), h.srv.ClusterID())
	w.Header()[hdrContentType] = h.hdr.json
	return true
}

func (h *authHandler) serveEnable(w http.ResponseWriter, r *http.Request) {
	if !h.admit(w, r, "GET,PUT,DELETE", true) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	var err error
	switch r.Method {
	case http.MethodGet:
		h.writeJSON(w, r, http.StatusOK, struct {
			Enabled bool `json:"enabled"`
		}{h.st.Enabled()})
		return
	case http.MethodPut:
		err = h.st.Enable(ctx)
	case http.MethodDelete:
		err = h.st.Disable(ctx)
	}
	h.finish(w, r, err)
}

// finish answers a write without a body: 200 and nothing, or the error.
func (h *authHandler) finish(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// writeJSON encodes v as the reference's json.Encoder does.
func (h *authHandler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// authStatus is the HTTP status of an auth refusal.
func authStatus(k auth.Kind) int {
	switch k {
	case auth.KindForbidden:
		return http.StatusForbidden
	case auth.KindNotFound:
		return http.StatusNotFound
	case auth.KindConflict:
		return http.StatusConflict
	default:
		return http.StatusBadRequest
	}
}

// writeError answers a failed auth request: an auth refusal with its message; a store
// error in the keys error shape (the reference passes those through); anything else
// (timeout, stopped member) with the reference's opaque 500.
func (h *authHandler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *auth.Error
	var se *store.Error
	switch {
	case errors.As(err, &ae):
		writeMessage(w, authStatus(ae.Kind), ae.Message)
	case errors.As(err, &se):
		body := se.AppendJSON(nil)
		hd := w.Header()
		hd[hdrContentType] = h.hdr.json
		ih := indexHeaders{etcdIndex: se.Index, contentLength: len(body)}
		ih.set(hd)
		w.WriteHeader(errorStatus(se.Code))
		_, _ = w.Write(body)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		hlog.FromRequest(r).Debug().Err(err).Msg("client left")
	default:
		hlog.FromRequest(r).Warn().Err(err).Msg("auth request failed")
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
	}
}

// decodeBody reads the JSON body into v, answering 400 when it is not valid JSON. Like the
// reference it reads one JSON value and ignores what follows.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid JSON in request body.")
		return false
	}
	return true
}

// parseQuery parses a listing's query as the reference's listings do. A malformed query
// is answered 400 with the reason; the reference answers 500 Internal Server Error [OURS].
func (h *authHandler) parseQuery(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid query: "+err.Error())
		return false
	}
	return true
}
