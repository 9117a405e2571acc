package auth

import "strings"

// Role is a role record and also the body of PUT /v2/auth/roles/<name>: a new role carries
// Permissions, a change carries Grant and/or Revoke. Field order and tags are the
// reference's wire shape. A create stores the body as sent, so a role created with an
// empty grant object keeps it (and shows it) like the reference's does.
type Role struct {
	Role        string       `json:"role"`
	Permissions Permissions  `json:"permissions"`
	Grant       *Permissions `json:"grant,omitempty"`
	Revoke      *Permissions `json:"revoke,omitempty"`
}

// Permissions is what a role allows.
type Permissions struct {
	KV RWPermission `json:"kv"`
}

// RWPermission holds the key patterns a role may read and write. A pattern ending in "*"
// matches every key that starts with the part before the "*"; any other pattern matches
// that key only.
type RWPermission struct {
	Read  []string `json:"read"`
	Write []string `json:"write"`
}

// The built-in roles.
const (
	// RootRoleName may do everything, including administering auth and members. It is not
	// stored and cannot be created, changed or deleted.
	RootRoleName = "root"
	// GuestRoleName is the role of requests without credentials once auth is enabled.
	GuestRoleName = "guest"
)

// rootRole is the root role as the API shows it.
func rootRole() Role {
	return Role{Role: RootRoleName, Permissions: Permissions{KV: RWPermission{Read: []string{"/*"}, Write: []string{"/*"}}}}
}

// defaultGuestRole is the guest role that enabling auth creates when there is none: guests
// keep full key access until an administrator restricts them.
func defaultGuestRole() Role {
	return Role{Role: GuestRoleName, Permissions: Permissions{KV: RWPermission{Read: []string{"/*"}, Write: []string{"/*"}}}}
}

// IsEmpty reports whether p is absent or lists no pattern.
func (p *Permissions) IsEmpty() bool {
	return p == nil || (len(p.KV.Read) == 0 && len(p.KV.Write) == 0)
}

// HasKeyAccess reports whether the role may read (write=false) or write key.
func (r Role) HasKeyAccess(key string, write bool) bool {
	if r.Role == RootRoleName {
		return true
	}
	for _, p := range r.Permissions.KV.patterns(write) {
		if matches(p, key) {
			return true
		}
	}
	return false
}

// HasRecursiveAccess reports whether the role may read or write key and everything below
// it: only a "*" pattern covering key does (SPEC §6, recursive reads and deletes).
func (r Role) HasRecursiveAccess(key string, write bool) bool {
	if r.Role == RootRoleName {
		return true
	}
	for _, p := range r.Permissions.KV.patterns(write) {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return false
}

func (rw RWPermission) patterns(write bool) []string {
	if write {
		return rw.Write
	}
	return rw.Read
}

// matches reports whether pattern covers key. (The reference panics on an empty pattern;
// here it matches the empty key only, like any pattern without "*".)
func matches(pattern, key string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(key, prefix)
	}
	return key == pattern
}

// merge applies req's grant, then its revoke, to r's permissions. A list that is touched
// comes out sorted and without duplicates; granting a pattern already held fails, revoking
// one not held is ignored (both as the reference).
func (r Role) merge(req Role) (Role, error) {
	out := Role{Role: r.Role, Permissions: r.Permissions}
	if req.Grant != nil {
		kv, err := out.Permissions.KV.grant(req.Grant.KV)
		if err != nil {
			return Role{}, err
		}
		out.Permissions.KV = kv
	}
	if req.Revoke != nil {
		out.Permissions.KV = out.Permissions.KV.revoke(req.Revoke.KV)
	}
	return out, nil
}

func (rw RWPermission) grant(add RWPermission) (RWPermission, error) {
	read, err := grantPatterns(rw.Read, add.Read, "read")
	if err != nil {
		return RWPermission{}, err
	}
	write, err := grantPatterns(rw.Write, add.Write, "write")
	if err != nil {
		return RWPermission{}, err
	}
	return RWPermission{Read: read, Write: write}, nil
}

func grantPatterns(have, add []string, what string) ([]string, error) {
	set := make(map[string]bool, len(have)+len(add))
	for _, p := range have {
		set[p] = true
	}
	for _, p := range add {
		if set[p] {
			return nil, newError(KindConflict, "Granting duplicate %s permission %s", what, p)
		}
		set[p] = true
	}
	return sortedKeys(set), nil
}

func (rw RWPermission) revoke(drop RWPermission) RWPermission {
	return RWPermission{Read: revokePatterns(rw.Read, drop.Read), Write: revokePatterns(rw.Write, drop.Write)}
}

func revokePatterns(have, drop []string) []string {
	set := make(map[string]bool, len(have))
	for _, p := range have {
		set[p] = true
	}
	for _, p := range drop {
		delete(set, p)
	}
	return sortedKeys(set)
}
