package service

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog/hlog"
)

// newProxy builds the transparent proxy of /<token>[/…] to the backend's registry
// directory. Watches are long polls or streams: every write is flushed at once.
func (s *Service) newProxy(tr http.RoundTripper) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out.URL
			out.Scheme, out.Host = s.backend.Scheme, s.backend.Host
			// path.Join drops a trailing slash, as the original's did: /<token>/ lists the
			// token like /<token>.
			out.Path = path.Join(registryPrefix, pr.In.URL.Path)
			out.RawPath = ""
			out.RawQuery = pr.In.URL.RawQuery
			pr.Out.Host = ""
		},
		Transport:      tr,
		FlushInterval:  -1,
		ModifyResponse: s.afterRegistration,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return // the client left
			}
			hlog.FromRequest(r).Warn().Err(err).Msg("proxying to the backend failed")
			// A 5xx makes discovery clients retry later.
			http.Error(w, "Error proxying the request to etcd", http.StatusInternalServerError)
		},
	}
}

// tokenGet is GET /<token>: the status summary with ?status, the proxied listing
// otherwise.
func (s *Service) tokenGet(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("status") {
		s.status(w, r)
		return
	}
	s.proxy.ServeHTTP(w, r)
}

// afterRegistration notices registrations (PUT /<token>/<id> answered 2xx) and, once
// size members have registered, removes the token's TTL: a complete token is kept.
func (s *Service) afterRegistration(resp *http.Response) error {
	r := resp.Request
	if s.tokenTTL <= 0 || r.Method != http.MethodPut || resp.StatusCode/100 != 2 {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(path.Clean(r.URL.Path), registryPrefix+"/"), "/")
	if len(parts) != 2 || parts[1] == "_config" {
		return nil
	}
	token := parts[0]
	st, err := s.tokenStatus(r.Context(), token)
	if err != nil {
		s.lg.Warn().Err(err).Str("token", token).Msg("cannot read the token after a registration")
		return nil // the registration itself succeeded: answer it
	}
	if st.State != stateComplete || st.Expiration == nil {
		return nil
	}
	q := url.Values{"dir": {"true"}, "prevExist": {"true"}}
	// Updating a directory without a ttl makes it permanent again.
	if _, err := s.backendDo(r.Context(), http.MethodPut, "/"+token, q, url.Values{}); err != nil {
		s.lg.Warn().Err(err).Str("token", token).Msg("cannot remove the TTL of a complete token")
		return nil
	}
	s.lg.Info().Str("token", token).Int("size", st.Size).Msg("token complete; its TTL is removed")
	return nil
}

// Token states in the status view.
const (
	stateWaiting  = "waiting"
	stateComplete = "complete"
)

// tokenStatus is the GET /<token>?status answer.
type tokenStatus struct {
	Token      string       `json:"token"`
	Size       int          `json:"size"`
	Registered int          `json:"registered"`
	State      string       `json:"state"`
	Members    []registered `json:"members"`
	// Extra are registrations past size: members that found the token full.
	Extra      []registered `json:"extra,omitempty"`
	Expiration *time.Time   `json:"expiration,omitempty"`
	TTL        int64        `json:"ttl,omitempty"`
}

// registered is one registration: the member ID (its key) and its value parsed.
type registered struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	PeerURLs     []string `json:"peerURLs"`
	CreatedIndex uint64   `json:"createdIndex"`
}

// keysNode is the part of a backend node the status view reads.
type keysNode struct {
	Key          string      `json:"key"`
	Value        string      `json:"value"`
	Dir          bool        `json:"dir"`
	Nodes        []*keysNode `json:"nodes"`
	CreatedIndex uint64      `json:"createdIndex"`
	Expiration   *time.Time  `json:"expiration"`
	TTL          int64       `json:"ttl"`
}

// status answers the token summary, or the backend's own error answer (a 404 for an
// unknown or expired token).
func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.tokenStatus(r.Context(), chi.URLParam(r, "token"))
	if be, ok := errors.AsType[*backendError](err); ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(be.status)
		w.Write([]byte(be.body))
		return
	}
	if err != nil {
		hlog.FromRequest(r).Warn().Err(err).Msg("token status failed")
		http.Error(w, "unable to read the token", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// tokenStatus reads a token's directory recursively and summarises it. Registrations
// count in creation order, as the members count them.
func (s *Service) tokenStatus(ctx context.Context, token string) (*tokenStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, backendTimeout)
	defer cancel()
	b, err := s.backendDo(ctx, http.MethodGet, "/"+token, url.Values{"recursive": {"true"}}, nil)
	if err != nil {
		return nil, err
	}
	var resp struct{ Node *keysNode }
	if err := json.Unmarshal(b, &resp); err != nil || resp.Node == nil {
		return nil, errors.New("backend answered something that is not a keys response")
	}
	st := &tokenStatus{Token: token, Expiration: resp.Node.Expiration, TTL: resp.Node.TTL, Members: []registered{}}
	var regs []*keysNode
	for _, n := range resp.Node.Nodes {
		if path.Base(n.Key) != "_config" && !n.Dir {
			regs = append(regs, n)
		}
	}
	// _config is a hidden key: listings leave it out, so the size is read by name.
	b, err = s.backendDo(ctx, http.MethodGet, "/"+token+"/_config/size", nil, nil)
	if be, ok := errors.AsType[*backendError](err); ok && be.status == http.StatusNotFound {
		err = nil // a token without a size: size 0, waiting for ever
	} else if err == nil {
		var size struct{ Node *keysNode }
		if json.Unmarshal(b, &size) == nil && size.Node != nil {
			st.Size, _ = strconv.Atoi(size.Node.Value)
		}
	}
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(regs, func(a, b *keysNode) int { return cmp.Compare(a.CreatedIndex, b.CreatedIndex) })
	st.Registered = len(regs)
	for i, n := range regs {
		reg := parseRegistration(n)
		if i < st.Size {
			st.Members = append(st.Members, reg)
		} else {
			st.Extra = append(st.Extra, reg)
		}
	}
	st.State = stateWaiting
	if st.Size > 0 && st.Registered >= st.Size {
		st.State = stateComplete
	}
	return st, nil
}

// parseRegistration splits "name=url,name=url" into a name and its URLs.
func parseRegistration(n *keysNode) registered {
	reg := registered{ID: path.Base(n.Key), CreatedIndex: n.CreatedIndex, PeerURLs: []string{}}
	for _, entry := range strings.Split(n.Value, ",") {
		name, u, _ := strings.Cut(entry, "=")
		if reg.Name == "" {
			reg.Name = name
		}
		if u != "" {
			reg.PeerURLs = append(reg.PeerURLs, u)
		}
	}
	return reg
}
