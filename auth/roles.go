package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"

	"github.com/etcd2/etcd2/store"
)

func roleKey(name string) string { return path.Join(rolesDir, name) }

// AllRoles returns the role names, root included, sorted.
func (s *Store) AllRoles() ([]string, error) {
	names, err := s.names(rolesDir)
	if err != nil {
		return nil, err
	}
	names = append(names, RootRoleName)
	slices.Sort(names)
	return names, nil
}

// Role returns role name; root is built in.
func (s *Store) Role(name string) (Role, error) {
	r, _, err := s.role(name)
	return r, err
}

// role is Role plus the record's modifiedIndex (0 for root, which is not stored).
func (s *Store) role(name string) (Role, uint64, error) {
	if name == RootRoleName {
		return rootRole(), 0, nil
	}
	n, err := s.read(roleKey(name))
	if err != nil {
		return Role{}, 0, err
	}
	if n == nil {
		return Role{}, 0, newError(KindNotFound, "Role %s does not exist.", name)
	}
	var r Role
	if err := json.Unmarshal([]byte(n.Value), &r); err != nil {
		return Role{}, 0, fmt.Errorf("auth: record %s: %w", n.Key, err)
	}
	return r, n.ModifiedIndex, nil
}

// rootRoleError refuses any change to the root role.
func rootRoleError(name string) error {
	return newError(KindForbidden, "Cannot modify role %s: is root role.", name)
}

// CreateRole stores r as given.
func (s *Store) CreateRole(ctx context.Context, r Role) error {
	if r.Role == RootRoleName {
		return rootRoleError(r.Role)
	}
	_, err := s.write(ctx, &store.Command{Op: store.OpCreate, Key: roleKey(r.Role), Value: record(r)})
	switch {
	case isCode(err, store.CodeNodeExist):
		return newError(KindConflict, "Role %s already exists.", r.Role)
	case err != nil:
		return err
	}
	s.lg.Info().Str("role", r.Role).Msg("created role")
	return nil
}

// UpdateRole applies req's grant and revoke to the stored role. A request that would change
// nothing is refused.
func (s *Store) UpdateRole(ctx context.Context, req Role) (Role, error) {
	if req.Role == RootRoleName {
		return Role{}, rootRoleError(req.Role)
	}
	for range maxAttempts {
		if err := s.p.LinearizableRead(ctx); err != nil {
			return Role{}, err
		}
		old, index, err := s.role(req.Role)
		if err != nil {
			return Role{}, err
		}
		nr, err := old.merge(req)
		if err != nil {
			return Role{}, err
		}
		// reflect.DeepEqual as the reference: null and [] differ, and a stored grant
		// object (kept from a create) makes any update a change.
		if reflect.DeepEqual(old, nr) {
			return Role{}, newError(KindInvalid, "Role not updated. Use grant/revoke to update the role.")
		}
		_, err = s.write(ctx, &store.Command{Op: store.OpCompareAndSwap, Key: roleKey(req.Role), Value: record(nr), PrevIndex: index})
		switch {
		case isCode(err, store.CodeTestFailed):
			continue // changed by another request since the read: merge again
		case isCode(err, store.CodeKeyNotFound):
			return Role{}, newError(KindNotFound, "Role %s does not exist.", req.Role)
		case err != nil:
			return Role{}, err
		}
		s.lg.Info().Str("role", req.Role).Msg("updated role")
		return nr, nil
	}
	return Role{}, fmt.Errorf("auth: role %s changed concurrently %d times", req.Role, maxAttempts)
}

// DeleteRole removes role name. Users keep the name in their roles; it grants nothing.
func (s *Store) DeleteRole(ctx context.Context, name string) error {
	if name == RootRoleName {
		return rootRoleError(name)
	}
	_, err := s.write(ctx, &store.Command{Op: store.OpDelete, Key: roleKey(name)})
	switch {
	case isCode(err, store.CodeKeyNotFound):
		return newError(KindNotFound, "Role %s doesn't exist.", name)
	case err != nil:
		return err
	}
	s.lg.Info().Str("role", name).Msg("deleted role")
	return nil
}
