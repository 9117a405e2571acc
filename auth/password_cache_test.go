package auth

import (
	"errors"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// countCompares makes s count its bcrypt comparisons.
func countCompares(s *Store) *atomic.Int64 {
	var n atomic.Int64
	s.compare = func(hash, password []byte) error {
		n.Add(1)
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	return &n
}

func TestAuthenticateRemembersVerifiedPasswords(t *testing.T) {
	s, _ := newTestStore(t)
	n := countCompares(s)
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, User{User: "alice", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, password string
		before         func()
		wantErr        error
		wantCompares   int64 // bcrypt comparisons this step makes
	}{
		{name: "first login runs bcrypt", password: "secret", wantCompares: 1},
		{name: "second login is remembered", password: "secret", wantCompares: 0},
		{name: "wrong password always runs bcrypt", password: "Secret", wantErr: ErrWrongPassword, wantCompares: 1},
		{name: "and is never remembered", password: "Secret", wantErr: ErrWrongPassword, wantCompares: 1},
		{name: "right one still remembered", password: "secret", wantCompares: 0},
		{
			name: "old password after a change", password: "secret", wantErr: ErrWrongPassword, wantCompares: 1,
			before: func() {
				if _, err := s.UpdateUser(ctx, User{User: "alice", Password: "n3w"}); err != nil {
					t.Fatal(err)
				}
			},
		},
		{name: "new password", password: "n3w", wantCompares: 1},
		{name: "new password remembered", password: "n3w", wantCompares: 0},
		{
			name: "deleted user", password: "n3w", wantErr: ErrUnknownUser, wantCompares: 1,
			before: func() {
				if err := s.DeleteUser(ctx, "alice"); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "recreated with the same password", password: "n3w", wantCompares: 1,
			before: func() {
				if _, err := s.CreateUser(ctx, User{User: "alice", Password: "n3w"}); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		start := n.Load()
		u, err := s.Authenticate("alice", st.password)
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: error = %v, want %v", st.name, err, st.wantErr)
		}
		if err == nil && u.User != "alice" {
			t.Fatalf("%s: user = %q", st.name, u.User)
		}
		if got := n.Load() - start; got != st.wantCompares {
			t.Errorf("%s: %d bcrypt comparisons, want %d", st.name, got, st.wantCompares)
		}
	}
}

func TestVerifiedCacheIsBounded(t *testing.T) {
	c := newVerifiedCache(4)
	for i := range 10 {
		c.add(c.key("u", "hash", string(rune('a'+i))))
	}
	if got := c.len(); got > 4 {
		t.Fatalf("cache holds %d entries, bound 4", got)
	}
	k := c.key("u", "hash", "j")
	if !c.has(k) {
		t.Error("the newest entry is gone")
	}
	if c.key("u", "hash", "pw") == c.key("u", "hash2", "pw") || c.key("u", "h", "pw") == c.key("u2", "h", "pw") {
		t.Error("keys ignore the user or the stored hash")
	}
}
