package httpapi

import (
	"errors"
	"net/http"

	"github.com/rs/zerolog/hlog"

	"github.com/etcd2/etcd2/auth"
	"github.com/etcd2/etcd2/store"
)

// authorizer decides whether a request may proceed once auth is enabled (SPEC §6). A nil
// authorizer (no auth store configured) lets everything through.
//
// Who is asking: with an Authorization header, its HTTP Basic credentials, which must be
// valid; without one, and with --client-cert-auth, the CN of the client's own verified
// certificate when it names a user; otherwise nobody: the guest role for keys, refused
// for administration. The order of the checks and their leniencies are the reference's.
type authorizer struct {
	st             *auth.Store
	clientCertAuth bool
}

func newAuthorizer(st *auth.Store, clientCertAuth bool) *authorizer {
	if st == nil {
		return nil
	}
	return &authorizer{st: st, clientCertAuth: clientCertAuth}
}

// msgNoAuth is the refusal of the auth, members and key APIs (there as the cause of 110).
const msgNoAuth = "Insufficient credentials"

// writeNoAuth answers a refused administrative request: 401 {"message":…}, without
// X-Etcd-Cluster-Id and without WWW-Authenticate, as the reference.
func writeNoAuth(w http.ResponseWriter) {
	writeMessage(w, http.StatusUnauthorized, msgNoAuth)
}

// errNoKeyAuth is the refusal of a keys request: error 110, HTTP 401, index 0.
func errNoKeyAuth() error { return store.NewError(store.CodeUnauthorized, msgNoAuth, 0) }

// writeRootAccess allows reads to everyone and writes to root users only (members).
func (a *authorizer) writeRootAccess(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	return a.rootAccess(r)
}

// rootAccess allows the request when auth is disabled or the requester holds the root role.
func (a *authorizer) rootAccess(r *http.Request) bool {
	if a == nil || !a.st.Enabled() {
		return true
	}
	var u *auth.User
	if r.Header.Get("Authorization") == "" && a.clientCertAuth {
		u = a.certUser(r)
	} else {
		u = a.basicUser(r)
	}
	if u == nil {
		return false
	}
	if u.HasRole(auth.RootRoleName) {
		return true
	}
	hlog.FromRequest(r).Warn().Str("user", u.User).Str("path", r.URL.Path).Msg("user lacks the root role")
	return false
}

// keyAccess allows a keys request on key (the path below /v2/keys, as sent): reads need
// read access, everything else write access; a recursive request needs a "*" pattern
// covering key. Guests are checked without regard to recursion, as in the reference.
func (a *authorizer) keyAccess(r *http.Request, key string, recursive bool) bool {
	if a == nil || !a.st.Enabled() {
		return true
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	var u *auth.User
	if r.Header.Get("Authorization") == "" {
		if a.clientCertAuth {
			u = a.certUser(r)
		}
		if u == nil {
			return a.guestAccess(r, key, write)
		}
	} else if u = a.basicUser(r); u == nil {
		return false
	}
	for _, name := range u.Roles {
		role, err := a.st.Role(name)
		if err != nil {
			continue // a role deleted after it was granted grants nothing
		}
		if recursive && role.HasRecursiveAccess(key, write) || !recursive && role.HasKeyAccess(key, write) {
			return true
		}
	}
	hlog.FromRequest(r).Debug().Str("user", u.User).Str("key", key).Bool("write", write).Msg("key access denied")
	return false
}

func (a *authorizer) guestAccess(r *http.Request, key string, write bool) bool {
	role, err := a.st.Role(auth.GuestRoleName)
	if err != nil {
		return false
	}
	if role.HasKeyAccess(key, write) {
		return true
	}
	hlog.FromRequest(r).Debug().Str("key", key).Bool("write", write).Msg("guest key access denied")
	return false
}

// basicUser authenticates the request's HTTP Basic credentials. Failures are logged with
// the user name and the reason, never the password.
func (a *authorizer) basicUser(r *http.Request) *auth.User {
	lg := hlog.FromRequest(r)
	name, password, ok := r.BasicAuth()
	if !ok {
		if r.Header.Get("Authorization") != "" {
			lg.Warn().Str("remote_addr", r.RemoteAddr).Msg("malformed basic auth credentials")
		}
		return nil
	}
	u, err := a.st.Authenticate(name, password)
	switch {
	case errors.Is(err, auth.ErrUnknownUser), errors.Is(err, auth.ErrWrongPassword):
		lg.Warn().Str("user", name).Str("remote_addr", r.RemoteAddr).Str("reason", err.Error()).Msg("failed login")
		return nil
	case err != nil:
		lg.Error().Err(err).Str("user", name).Msg("reading user failed")
		return nil
	}
	return &u
}

// certUser returns the user named by the common name of the client's own (leaf)
// certificate. The reference also tries the issuers' names, so a CA whose CN happened to
// be a user name would log every certificate it signed in as that user; we do not [OURS].
func (a *authorizer) certUser(r *http.Request) *auth.User {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil
	}
	// Every verified chain starts with the same leaf: the peer's certificate.
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	if u, err := a.st.User(cn); err == nil {
		hlog.FromRequest(r).Debug().Str("user", u.User).Msg("authenticated by certificate common name")
		return &u
	}
	return nil
}
