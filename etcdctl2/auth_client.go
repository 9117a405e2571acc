package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// user is a /v2/auth/users entry as the client sends it.
type user struct {
	User     string   `json:"user"`
	Password string   `json:"password,omitempty"`
	Roles    []string `json:"roles"`
	Grant    []string `json:"grant,omitempty"`
	Revoke   []string `json:"revoke,omitempty"`
}

// role is a /v2/auth/roles entry.
type role struct {
	Role        string       `json:"role"`
	Permissions permissions  `json:"permissions"`
	Grant       *permissions `json:"grant,omitempty"`
	Revoke      *permissions `json:"revoke,omitempty"`
}

type permissions struct {
	KV rwPermission `json:"kv"`
}

type rwPermission struct {
	Read  []string `json:"read"`
	Write []string `json:"write"`
}

func authRequest(method string, v any, elems ...string) *apiRequest {
	r := &apiRequest{
		method: method,
		target: func(ep url.URL) *url.URL { return joinURL(ep, append([]string{"/v2/auth"}, elems...)...) },
	}
	if v != nil {
		b, _ := json.Marshal(v)
		r.body, r.hasBody, r.contentType = string(b), true, "application/json"
	}
	return r
}

// authCall sends r and accepts the given statuses; any other status reports the body's
// message (or the error decoding it).
func (c *client) authCall(ctx context.Context, r *apiRequest, ok ...int) ([]byte, error) {
	resp, body, err := c.do(ctx, r, false)
	if err != nil {
		return nil, err
	}
	for _, code := range ok {
		if resp.StatusCode == code {
			return body, nil
		}
	}
	return nil, decodeMessage(body)
}

func (c *client) enableAuth(ctx context.Context, enable bool) error {
	method := http.MethodPut
	if !enable {
		method = http.MethodDelete
	}
	_, err := c.authCall(ctx, authRequest(method, nil, "enable"), http.StatusOK, http.StatusCreated)
	return err
}

func (c *client) listUsers(ctx context.Context) ([]string, error) {
	r := authRequest(http.MethodGet, nil, "users")
	r.contentType = "application/json"
	body, err := c.authCall(ctx, r, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var list struct {
		Users []struct {
			User string `json:"user"`
		} `json:"users"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Users))
	for _, u := range list.Users {
		names = append(names, u.User)
	}
	return names, nil
}

// putUser creates (add) or deletes (remove) a user; 200 and 201 are success.
func (c *client) putUser(ctx context.Context, method, name string, u *user) error {
	var v any
	if u != nil {
		v = u
	}
	_, err := c.authCall(ctx, authRequest(method, v, "users", name), http.StatusOK, http.StatusCreated)
	return err
}

// modifyUser gets (u nil) or updates a user and returns the server's view of it.
func (c *client) modifyUser(ctx context.Context, method, name string, u *user) (*userView, error) {
	var v any
	if u != nil {
		v = u
	}
	body, err := c.authCall(ctx, authRequest(method, v, "users", name), http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeUser(body)
}

// userView is a user as `user get` prints it.
type userView struct {
	name  string
	roles []string
}

// decodeUser reads a user answer. The server expands roles into objects where the
// reference client expects names. Its first decoding into names then fails half way,
// leaving one empty name per object, and the names found by a second decoding are
// appended to those: `user get` prints "Roles:  root" with two spaces (SPEC 9.4). The
// roles here reproduce that list.
func decodeUser(body []byte) (*userView, error) {
	var asNames struct {
		User  string   `json:"user"`
		Roles []string `json:"roles"`
	}
	err := json.Unmarshal(body, &asNames)
	if err == nil {
		return &userView{name: asNames.User, roles: asNames.Roles}, nil
	}
	var asObjects struct {
		User  string `json:"user"`
		Roles []struct {
			Role string `json:"role"`
		} `json:"roles"`
	}
	if json.Unmarshal(body, &asObjects) != nil {
		return nil, err
	}
	words := make([]string, len(asObjects.Roles), 2*len(asObjects.Roles))
	for _, r := range asObjects.Roles {
		words = append(words, r.Role)
	}
	return &userView{name: asObjects.User, roles: words}, nil
}

func (c *client) listRoles(ctx context.Context) ([]string, error) {
	r := authRequest(http.MethodGet, nil, "roles")
	r.contentType = "application/json"
	resp, body, err := c.do(ctx, r, false)
	if err != nil {
		return nil, err
	}
	// Unlike users, a failed role listing reports only its status.
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp.StatusCode)
	}
	var list struct {
		Roles []role `json:"roles"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Roles))
	for _, r := range list.Roles {
		names = append(names, r.Role)
	}
	return names, nil
}

// putRole creates (add) or deletes (remove) a role.
func (c *client) putRole(ctx context.Context, method, name string, r *role) error {
	var v any
	if r != nil {
		v = r
	}
	_, err := c.authCall(ctx, authRequest(method, v, "roles", name), http.StatusOK, http.StatusCreated)
	return err
}

// modifyRole gets (r nil) or updates a role and returns it.
func (c *client) modifyRole(ctx context.Context, method, name string, r *role) (*role, error) {
	var v any
	if r != nil {
		v = r
	}
	body, err := c.authCall(ctx, authRequest(method, v, "roles", name), http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out role
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
