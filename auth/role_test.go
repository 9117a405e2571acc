package auth

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func rw(read, write []string) Role {
	return Role{Role: "r", Permissions: Permissions{KV: RWPermission{Read: read, Write: write}}}
}

func TestHasKeyAccess(t *testing.T) {
	tests := []struct {
		name      string
		role      Role
		key       string
		write     bool
		want      bool
		recursive bool // HasRecursiveAccess instead
	}{
		{name: "exact pattern, same key", role: rw([]string{"/a"}, nil), key: "/a", want: true},
		{name: "exact pattern, child key", role: rw([]string{"/a"}, nil), key: "/a/b"},
		{name: "exact pattern, prefix key", role: rw([]string{"/ab"}, nil), key: "/a"},
		{name: "star covers children", role: rw([]string{"/app/*"}, nil), key: "/app/x/y", want: true},
		{name: "star covers the dir with slash", role: rw([]string{"/app/*"}, nil), key: "/app/", want: true},
		{name: "star does not cover the dir itself", role: rw([]string{"/app/*"}, nil), key: "/app"},
		{name: "star without slash covers siblings", role: rw([]string{"/pub*"}, nil), key: "/publish", want: true},
		{name: "root pattern covers every key", role: rw([]string{"/*"}, nil), key: "/x", want: true},
		{name: "root pattern does not cover the empty key", role: rw([]string{"/*"}, nil), key: ""},
		{name: "read pattern does not grant write", role: rw([]string{"/*"}, nil), key: "/x", write: true},
		{name: "write pattern does not grant read", role: rw(nil, []string{"/*"}), key: "/x"},
		{name: "write pattern", role: rw(nil, []string{"/app/w"}), key: "/app/w", write: true, want: true},
		{name: "empty pattern matches the empty key only", role: rw([]string{""}, nil), key: "", want: true},
		{name: "empty pattern", role: rw([]string{""}, nil), key: "/a"},
		{name: "root role has everything", role: rootRole(), key: "", write: true, want: true},
		{name: "a role merely named like root in a record", role: Role{Role: "root"}, key: "/a", want: true},
		{name: "no patterns", role: rw(nil, nil), key: "/a"},
		{name: "recursive: star pattern", role: rw([]string{"/app/*"}, nil), key: "/app/", recursive: true, want: true},
		{name: "recursive: star pattern, deeper", role: rw([]string{"/app/*"}, nil), key: "/app/x", recursive: true, want: true},
		{name: "recursive: dir without slash", role: rw([]string{"/app/*"}, nil), key: "/app", recursive: true},
		{name: "recursive: exact pattern never", role: rw([]string{"/app"}, nil), key: "/app", recursive: true},
		{name: "recursive: write list", role: rw([]string{"/*"}, []string{"/w/*"}), key: "/w/x", write: true, recursive: true, want: true},
		{name: "recursive: root role", role: rootRole(), key: "", write: true, recursive: true, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bool
			if tt.recursive {
				got = tt.role.HasRecursiveAccess(tt.key, tt.write)
			} else {
				got = tt.role.HasKeyAccess(tt.key, tt.write)
			}
			if got != tt.want {
				t.Errorf("access(%q, write=%v, recursive=%v) = %v, want %v", tt.key, tt.write, tt.recursive, got, tt.want)
			}
		})
	}
}

func TestRoleMerge(t *testing.T) {
	perms := func(read, write []string) *Permissions {
		return &Permissions{KV: RWPermission{Read: read, Write: write}}
	}
	tests := []struct {
		name    string
		old     Role
		req     Role
		want    Role
		wantErr string
	}{
		{
			name: "grant sorts and fills both lists",
			old:  rw([]string{"/b"}, nil),
			req:  Role{Role: "r", Grant: perms([]string{"/a"}, nil)},
			want: rw([]string{"/a", "/b"}, []string{}),
		},
		{
			name:    "duplicate read grant",
			old:     rw([]string{"/a"}, nil),
			req:     Role{Role: "r", Grant: perms([]string{"/a"}, nil)},
			wantErr: "auth: Granting duplicate read permission /a",
		},
		{
			name:    "duplicate write grant within the request",
			old:     rw(nil, nil),
			req:     Role{Role: "r", Grant: perms(nil, []string{"/w", "/w"})},
			wantErr: "auth: Granting duplicate write permission /w",
		},
		{
			name: "revoke ignores patterns not held",
			old:  rw([]string{"/b", "/a"}, []string{"/w"}),
			req:  Role{Role: "r", Revoke: perms([]string{"/a", "/nope"}, nil)},
			want: rw([]string{"/b"}, []string{"/w"}),
		},
		{
			name: "grant then revoke",
			old:  rw(nil, nil),
			req:  Role{Role: "r", Grant: perms([]string{"/x"}, nil), Revoke: perms([]string{"/x"}, nil)},
			want: rw([]string{}, []string{}),
		},
		{
			name: "no grant nor revoke keeps the lists as they were",
			old:  rw([]string{"/b", "/a"}, nil),
			req:  Role{Role: "r"},
			want: rw([]string{"/b", "/a"}, nil),
		},
		{
			name: "a stored grant object is dropped",
			old:  Role{Role: "r", Grant: perms([]string{}, []string{})},
			req:  Role{Role: "r", Revoke: perms(nil, []string{"/x"})},
			want: rw([]string{}, []string{}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.old.merge(tt.req)
			if tt.wantErr != "" {
				var ae *Error
				if !errors.As(err, &ae) || ae.Message != tt.wantErr || ae.Kind != KindConflict {
					t.Fatalf("merge error = %v, want conflict %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("merge: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("merge (-want +got):\n%s", d)
			}
			// nil and empty lists are different answers on the wire (null and []).
			if (got.Permissions.KV.Read == nil) != (tt.want.Permissions.KV.Read == nil) ||
				(got.Permissions.KV.Write == nil) != (tt.want.Permissions.KV.Write == nil) {
				t.Errorf("merge nil-ness = %#v, want %#v", got.Permissions.KV, tt.want.Permissions.KV)
			}
		})
	}
}

func TestUserMerge(t *testing.T) {
	hash := func(p string) (string, error) { return "hash(" + p + ")", nil }
	tests := []struct {
		name    string
		old     User
		req     User
		want    User
		wantErr string
	}{
		{
			name: "grant sorts",
			old:  User{User: "u", Password: "h", Roles: []string{"z"}},
			req:  User{User: "u", Grant: []string{"b", "a"}},
			want: User{User: "u", Password: "h", Roles: []string{"a", "b", "z"}},
		},
		{
			name: "password only: roles become an empty list",
			old:  User{User: "u", Password: "h"},
			req:  User{User: "u", Password: "new"},
			want: User{User: "u", Password: "hash(new)", Roles: []string{}},
		},
		{
			name: "revoke",
			old:  User{User: "u", Password: "h", Roles: []string{"a", "b"}},
			req:  User{User: "u", Revoke: []string{"a"}},
			want: User{User: "u", Password: "h", Roles: []string{"b"}},
		},
		{
			name: "stored duplicates collapse",
			old:  User{User: "u", Roles: []string{"a", "a"}},
			req:  User{User: "u", Grant: []string{"b"}},
			want: User{User: "u", Roles: []string{"a", "b"}},
		},
		{
			name:    "duplicate grant",
			old:     User{User: "u", Roles: []string{"a"}},
			req:     User{User: "u", Grant: []string{"a"}},
			wantErr: "auth: Granting duplicate role a for user u",
		},
		{
			name:    "ungranted revoke",
			old:     User{User: "u", Roles: []string{"a"}},
			req:     User{User: "u", Revoke: []string{"r3"}},
			wantErr: "auth: Revoking ungranted role r3 for user u",
		},
		{
			name: "grant and revoke the same role",
			old:  User{User: "u"},
			req:  User{User: "u", Grant: []string{"a"}, Revoke: []string{"a"}},
			want: User{User: "u", Roles: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.old.merge(tt.req, hash)
			if tt.wantErr != "" {
				var ae *Error
				if !errors.As(err, &ae) || ae.Message != tt.wantErr || ae.Kind != KindConflict {
					t.Fatalf("merge error = %v, want conflict %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("merge: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("merge (-want +got):\n%s", d)
			}
			if got.Roles == nil {
				t.Errorf("merge roles = nil, want a list")
			}
		})
	}
}

func TestWithRootRole(t *testing.T) {
	tests := []struct {
		in   User
		want []string
	}{
		{User{User: "root"}, []string{"root"}},
		{User{User: "root", Roles: []string{"a"}}, []string{"a", "root"}},
		{User{User: "root", Roles: []string{"root"}}, []string{"root"}},
		{User{User: "alice"}, nil},
	}
	for _, tt := range tests {
		if got := tt.in.withRootRole().Roles; !cmp.Equal(got, tt.want) {
			t.Errorf("withRootRole(%+v).Roles = %q, want %q", tt.in, got, tt.want)
		}
	}
}
