package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"reflect"

	"github.com/etcd2/etcd2/store"
)

func userKey(name string) string { return path.Join(usersDir, name) }

// AllUsers returns the user names, sorted; nil when there are none.
func (s *Store) AllUsers() ([]string, error) {
	names, err := s.names(usersDir)
	if len(names) == 0 {
		return nil, err
	}
	return names, err
}

// User returns the record of user name from the local store (Password is the hash).
func (s *Store) User(name string) (User, error) {
	u, _, err := s.user(name)
	return u, err
}

// user is User plus the record's modifiedIndex, the condition of a later compareAndSwap.
func (s *Store) user(name string) (User, uint64, error) {
	n, err := s.read(userKey(name))
	if err != nil {
		return User{}, 0, err
	}
	if n == nil {
		return User{}, 0, newError(KindNotFound, "User %s does not exist.", name)
	}
	var u User
	if err := json.Unmarshal([]byte(n.Value), &u); err != nil {
		return User{}, 0, fmt.Errorf("auth: record %s: %w", n.Key, err)
	}
	return u.withRootRole(), n.ModifiedIndex, nil
}

// CreateOrUpdateUser creates u, or updates the user when it exists (PUT of a user with a
// password and nothing else: the reference cannot tell which is meant). created reports
// which happened.
func (s *Store) CreateOrUpdateUser(ctx context.Context, u User) (out User, created bool, err error) {
	if err := s.p.LinearizableRead(ctx); err != nil {
		return User{}, false, err
	}
	if _, err := s.User(u.User); err == nil {
		out, err = s.UpdateUser(ctx, u)
		return out, false, err
	} else if !isKind(err, KindNotFound) {
		return User{}, false, err
	}
	out, err = s.CreateUser(ctx, u)
	return out, err == nil, err
}

// CreateUser stores a new user with u's name, password (hashed here) and roles, taken as
// given: the roles need not exist. The root user always gets the root role.
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	u = u.withRootRole()
	if u.Password == "" {
		return User{}, newError(KindInvalid, "Cannot create user %s with an empty password", u.User)
	}
	h, err := s.hash(u.Password)
	if err != nil {
		return User{}, err
	}
	rec := User{User: u.User, Password: h, Roles: u.Roles}
	_, err = s.write(ctx, &store.Command{Op: store.OpCreate, Key: userKey(u.User), Value: record(rec)})
	if isCode(err, store.CodeNodeExist) {
		return User{}, newError(KindConflict, "User %s already exists.", u.User)
	}
	if err != nil {
		return User{}, err
	}
	s.lg.Info().Str("user", u.User).Msg("created user")
	return rec, nil
}

// UpdateUser applies req's grants, revokes and new password to the stored user. A request
// that would change nothing is refused.
func (s *Store) UpdateUser(ctx context.Context, req User) (User, error) {
	for range maxAttempts {
		if err := s.p.LinearizableRead(ctx); err != nil {
			return User{}, err
		}
		old, index, err := s.user(req.User)
		if err != nil {
			return User{}, err
		}
		nu, err := old.merge(req, s.hash)
		if err != nil {
			return User{}, err
		}
		// The reference compares with reflect.DeepEqual, so a record whose roles were
		// null counts as changed once they become []: kept for identical answers.
		if reflect.DeepEqual(old, nu) {
			return User{}, newError(KindInvalid, "User not updated. Use grant/revoke/password to update the user.")
		}
		_, err = s.write(ctx, &store.Command{Op: store.OpCompareAndSwap, Key: userKey(req.User), Value: record(nu), PrevIndex: index})
		switch {
		case isCode(err, store.CodeTestFailed):
			continue // changed by another request since the read: merge again
		case isCode(err, store.CodeKeyNotFound):
			return User{}, newError(KindNotFound, "User %s does not exist.", req.User)
		case err != nil:
			return User{}, err
		}
		s.lg.Info().Str("user", req.User).Msg("updated user")
		return nu, nil
	}
	return User{}, fmt.Errorf("auth: user %s changed concurrently %d times", req.User, maxAttempts)
}

// DeleteUser removes user name. The root user cannot be removed while auth is enabled.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	if name == RootUserName && s.Enabled() {
		return newError(KindForbidden, "Cannot delete root user while auth is enabled.")
	}
	_, err := s.write(ctx, &store.Command{Op: store.OpDelete, Key: userKey(name)})
	switch {
	case isCode(err, store.CodeKeyNotFound):
		return newError(KindNotFound, "User %s does not exist", name)
	case err != nil:
		return err
	}
	s.lg.Info().Str("user", name).Msg("deleted user")
	return nil
}
