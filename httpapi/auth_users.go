package httpapi

import (
	"context"
	"net/http"

	"github.com/etcd2/etcd2/auth"
)

// userWithRoles is a user as GET shows it: roles expanded to role objects, omitted when
// there are none.
type userWithRoles struct {
	User  string      `json:"user"`
	Roles []auth.Role `json:"roles,omitempty"`
}

func (h *authHandler) serveUsers(w http.ResponseWriter, r *http.Request) {
	name, ok := authSubject(w, r.URL.Path)
	if !ok {
		return
	}
	if name == "" {
		h.listUsers(w, r)
		return
	}
	if !h.admit(w, r, "GET,PUT,DELETE", false) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	switch r.Method {
	case http.MethodGet:
		h.getUser(w, r, name)
	case http.MethodPut:
		h.putUser(ctx, w, r, name)
	case http.MethodDelete:
		h.finish(w, r, h.st.DeleteUser(ctx, name))
	}
}

// listUsers answers {"users":[…]} sorted by name, null when there are none; a role that
// no longer exists is left out of a user's list.
func (h *authHandler) listUsers(w http.ResponseWriter, r *http.Request) {
	if !h.admit(w, r, "GET", false) {
		return
	}
	names, err := h.st.AllUsers()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if !h.parseQuery(w, r) {
		return
	}
	var out struct {
		Users []userWithRoles `json:"users"`
	}
	for _, name := range names {
		u, err := h.st.User(name)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		uwr := userWithRoles{User: u.User}
		for _, rn := range u.Roles {
			if role, err := h.st.Role(rn); err == nil {
				uwr.Roles = append(uwr.Roles, role)
			}
		}
		out.Users = append(out.Users, uwr)
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// getUser answers one user with its roles expanded; a role that no longer exists is an
// error here (404 with the role's message), unlike in the listing.
func (h *authHandler) getUser(w http.ResponseWriter, r *http.Request, name string) {
	u, err := h.st.User(name)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if !h.parseQuery(w, r) {
		return
	}
	uwr := userWithRoles{User: u.User}
	for _, rn := range u.Roles {
		role, err := h.st.Role(rn)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		uwr.Roles = append(uwr.Roles, role)
	}
	h.writeJSON(w, r, http.StatusOK, uwr)
}

// putUser creates or changes a user (SPEC §6): without grant/revoke it creates (with
// roles: a plain create, answered 200 like the reference) or, with only a password, creates
// or updates whichever applies; with grant/revoke it updates. The answer never carries the
// password hash.
func (h *authHandler) putUser(ctx context.Context, w http.ResponseWriter, r *http.Request, name string) {
	var in auth.User
	if !decodeBody(w, r, &in) {
		return
	}
	if in.User != name {
		writeMessage(w, http.StatusBadRequest, "User JSON name does not match the name in the URL")
		return
	}
	var (
		out     auth.User
		created bool
		err     error
	)
	switch {
	case len(in.Grant) == 0 && len(in.Revoke) == 0 && len(in.Roles) != 0:
		out, err = h.st.CreateUser(ctx, in)
	case len(in.Grant) == 0 && len(in.Revoke) == 0:
		out, created, err = h.st.CreateOrUpdateUser(ctx, in)
	case len(in.Roles) != 0:
		writeMessage(w, http.StatusBadRequest, "User JSON contains both roles and grant/revoke")
		return
	default:
		out, err = h.st.UpdateUser(ctx, in)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	out.Password = ""
	h.writeJSON(w, r, status, out)
}
