package httpapi

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/etcd2/etcd2/members"
)

// membersHandler serves /v2/members (SPEC §4). Success bodies end with a newline; error
// bodies are {"message":"…"} without one.
type membersHandler struct {
	srv     Server
	timeout time.Duration
	hdr     *headers
	auth    *authorizer // nil: no auth
}

const (
	membersPrefix  = "/v2/members"
	membersMethods = "GET,POST,DELETE,PUT"
)

func (h *membersHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut:
	default:
		methodNotAllowed(w, membersMethods)
		return
	}
	if !h.auth.writeRootAccess(r) {
		writeNoAuth(w)
		return
	}
	h.hdr.setClusterID(w.Header(), h.srv.ClusterID())
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	// The reference ignores the path of a POST: POST /v2/members/x adds a member too.
	sub := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, membersPrefix), "/")
	switch r.Method {
	case http.MethodGet:
		h.get(w, sub)
	case http.MethodPost:
		h.add(ctx, w, r)
	case http.MethodDelete:
		h.remove(ctx, w, r, sub)
	case http.MethodPut:
		h.update(ctx, w, r, sub)
	}
}

func (h *membersHandler) get(w http.ResponseWriter, sub string) {
	switch sub {
	case "":
		ms := slices.Clone(h.srv.Members())
		slices.SortFunc(ms, func(a, b members.Member) int { return cmp.Compare(a.ID, b.ID) })
		buf := append([]byte(nil), `{"members":[`...)
		for i := range ms {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendMember(buf, ms[i])
		}
		writeJSON(w, http.StatusOK, append(buf, "]}\n"...))
	case "leader":
		m, ok := h.leader()
		if !ok {
			writeMessage(w, http.StatusServiceUnavailable, "During election")
			return
		}
		writeJSON(w, http.StatusOK, append(appendMember(nil, m), '\n'))
	default:
		writeMessage(w, http.StatusNotFound, "Not found")
	}
}

// appendMember appends the member's JSON. A member added but not started has no client
// URLs yet; the reference shows them as [] (SPEC §4), never null.
func appendMember(buf []byte, m members.Member) []byte {
	if m.PeerURLs == nil {
		m.PeerURLs = []string{}
	}
	if m.ClientURLs == nil {
		m.ClientURLs = []string{}
	}
	return m.AppendJSON(buf)
}

// leader returns the current leader's member, false during an election.
func (h *membersHandler) leader() (members.Member, bool) {
	id := h.srv.Leader()
	if id == 0 {
		return members.Member{}, false
	}
	for _, m := range h.srv.Members() {
		if m.ID == id {
			return m, true
		}
	}
	return members.Member{}, false
}

func (h *membersHandler) add(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	peerURLs, herr := parseMemberRequest(r)
	if herr != nil {
		writeMessage(w, herr.status, herr.message)
		return
	}
	m, err := h.srv.AddMember(ctx, peerURLs)
	switch {
	case errors.Is(err, members.ErrIDExists):
		writeMessage(w, http.StatusConflict, msgIDExists)
	case errors.Is(err, members.ErrPeerURLExists):
		writeMessage(w, http.StatusConflict, msgPeerURLExists)
	case err != nil:
		h.internalError(w, r, "add member failed", err)
	default:
		writeJSON(w, http.StatusCreated, append(appendMember(nil, m), '\n'))
	}
}

func (h *membersHandler) remove(ctx context.Context, w http.ResponseWriter, r *http.Request, sub string) {
	id, ok := memberID(w, sub)
	if !ok {
		return
	}
	err := h.srv.RemoveMember(ctx, id)
	switch {
	case errors.Is(err, members.ErrIDRemoved):
		writeMessage(w, http.StatusGone, "Member permanently removed: "+id.String())
	case errors.Is(err, members.ErrIDNotFound):
		writeMessage(w, http.StatusNotFound, "No such member: "+id.String())
	case err != nil:
		h.internalError(w, r, "remove member failed", err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *membersHandler) update(ctx context.Context, w http.ResponseWriter, r *http.Request, sub string) {
	id, ok := memberID(w, sub)
	if !ok {
		return
	}
	peerURLs, herr := parseMemberRequest(r)
	if herr != nil {
		writeMessage(w, herr.status, herr.message)
		return
	}
	// Like the reference, a removed ID is not special here: it is an internal error.
	err := h.srv.UpdateMember(ctx, id, peerURLs)
	switch {
	case errors.Is(err, members.ErrPeerURLExists):
		writeMessage(w, http.StatusConflict, msgPeerURLExists)
	case errors.Is(err, members.ErrIDNotFound):
		writeMessage(w, http.StatusNotFound, "No such member: "+id.String())
	case err != nil:
		h.internalError(w, r, "update member failed", err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// The reference's texts for the membership conflicts (its package was "membership").
const (
	msgIDExists      = "membership: ID exists"
	msgPeerURLExists = "membership: peerURL exists"
)

// internalError answers a failed membership change (strict reconfiguration check, timeout,
// stopped member) with the reference's opaque 500, unless the client has left.
func (h *membersHandler) internalError(w http.ResponseWriter, r *http.Request, msg string, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	hlog.FromRequest(r).Warn().Err(err).Msg(msg)
	writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
}

// memberID parses the hex member ID of a DELETE or PUT path. Without an ID the method is
// not allowed (405 without Allow, as the reference); a bad ID is an unknown member.
func memberID(w http.ResponseWriter, sub string) (members.ID, bool) {
	if sub == "" {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return 0, false
	}
	id, err := strconv.ParseUint(sub, 16, 64)
	if err != nil {
		writeMessage(w, http.StatusNotFound, "No such member: "+sub)
		return 0, false
	}
	return members.ID(id), true
}

// writeJSON writes a successful JSON body.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set(hdrContentType, contentJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
