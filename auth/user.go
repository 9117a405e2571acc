package auth

import (
	"maps"
	"slices"
)

// User is a user record and also the body of PUT /v2/auth/users/<name>: the stored record
// has User, Password (the bcrypt hash) and Roles; a request may carry a clear-text Password
// and Grant/Revoke lists instead of Roles. Field order and tags are the reference's wire
// shape; nil and empty Roles are kept apart (null and [] on the wire) because the
// reference's answers tell them apart.
type User struct {
	User     string   `json:"user"`
	Password string   `json:"password,omitempty"`
	Roles    []string `json:"roles"`
	Grant    []string `json:"grant,omitempty"`
	Revoke   []string `json:"revoke,omitempty"`
}

// RootUserName is the user that always holds the root role.
const RootUserName = "root"

// HasRole reports whether the user holds role name.
func (u User) HasRole(name string) bool { return slices.Contains(u.Roles, name) }

// withRootRole gives the root user the root role when its record lacks it: the reference
// adds it when the user is created and again whenever the record is read.
func (u User) withRootRole() User {
	if u.User == RootUserName && !u.HasRole(RootRoleName) {
		u.Roles = append(slices.Clip(u.Roles), RootRoleName)
	}
	return u
}

// merge applies req's grants, then its revokes, to u's roles and replaces the password
// hash when req has a password (hash computes the new one). The result's roles are sorted
// and never nil; granting a held role or revoking one not held fails the whole request.
func (u User) merge(req User, hash func(string) (string, error)) (User, error) {
	roles := make(map[string]bool, len(u.Roles)+len(req.Grant))
	for _, r := range u.Roles {
		roles[r] = true
	}
	for _, g := range req.Grant {
		if roles[g] {
			return User{}, newError(KindConflict, "Granting duplicate role %s for user %s", g, req.User)
		}
		roles[g] = true
	}
	for _, r := range req.Revoke {
		if !roles[r] {
			return User{}, newError(KindConflict, "Revoking ungranted role %s for user %s", r, req.User)
		}
		delete(roles, r)
	}
	out := User{User: u.User, Password: u.Password, Roles: sortedKeys(roles)}
	if req.Password != "" {
		h, err := hash(req.Password)
		if err != nil {
			return User{}, err
		}
		out.Password = h
	}
	return out, nil
}

// sortedKeys returns the set's members sorted, as a non-nil slice.
func sortedKeys(set map[string]bool) []string {
	return slices.AppendSeq(make([]string, 0, len(set)), slices.Values(slices.Sorted(maps.Keys(set))))
}
