package httpapi

import (
	"context"
	"net/http"

	"github.com/etcd2/etcd2/auth"
)

func (h *authHandler) serveRoles(w http.ResponseWriter, r *http.Request) {
	name, ok := authSubject(w, r.URL.Path)
	if !ok {
		return
	}
	if name == "" {
		h.listRoles(w, r)
		return
	}
	if !h.admit(w, r, "GET,PUT,DELETE", false) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	switch r.Method {
	case http.MethodGet:
		role, err := h.st.Role(name)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.writeJSON(w, r, http.StatusOK, role)
	case http.MethodPut:
		h.putRole(ctx, w, r, name)
	case http.MethodDelete:
		h.finish(w, r, h.st.DeleteRole(ctx, name))
	}
}

// listRoles answers {"roles":[…]} sorted by name, root included.
func (h *authHandler) listRoles(w http.ResponseWriter, r *http.Request) {
	if !h.admit(w, r, "GET", false) {
		return
	}
	names, err := h.st.AllRoles()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if !h.parseQuery(w, r) {
		return
	}
	var out struct {
		Roles []auth.Role `json:"roles"`
	}
	for _, name := range names {
		role, err := h.st.Role(name)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		out.Roles = append(out.Roles, role)
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// putRole creates a role (201, the body echoed as stored) when the body has neither grant
// nor revoke, else merges them into the stored role (200).
func (h *authHandler) putRole(ctx context.Context, w http.ResponseWriter, r *http.Request, name string) {
	var in auth.Role
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Role != name {
		writeMessage(w, http.StatusBadRequest, "Role JSON name does not match the name in the URL")
		return
	}
	if in.Grant.IsEmpty() && in.Revoke.IsEmpty() {
		if err := h.st.CreateRole(ctx, in); err != nil {
			h.writeError(w, r, err)
			return
		}
		h.writeJSON(w, r, http.StatusCreated, in)
		return
	}
	if !in.Permissions.IsEmpty() {
		writeMessage(w, http.StatusBadRequest, "Role JSON contains both permissions and grant/revoke")
		return
	}
	out, err := h.st.UpdateRole(ctx, in)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, out)
}
