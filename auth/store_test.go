package auth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/etcd2/etcd2/store"
)

// applier is a Proposer that applies commands straight to a store, as a one-member
// cluster would. before, when set, runs before each command is applied (to interleave a
// concurrent change).
type applier struct {
	st     *store.Store
	mu     sync.Mutex
	cmds   []store.Command
	before func(cmd *store.Command)
	reads  int
}

func (a *applier) Do(_ context.Context, cmd *store.Command) (*store.Event, error) {
	a.mu.Lock()
	before := a.before
	a.cmds = append(a.cmds, *cmd)
	a.mu.Unlock()
	if before != nil {
		before(cmd)
	}
	return a.st.Apply(cmd)
}

func (a *applier) LinearizableRead(context.Context) error {
	a.mu.Lock()
	a.reads++
	a.mu.Unlock()
	return nil
}

// newTestStore returns an auth Store over a fresh store with the member namespaces.
func newTestStore(t *testing.T) (*Store, *applier) {
	t.Helper()
	st := store.New(store.WithNamespaces("/0", "/1"))
	return newStoreOver(t, st)
}

func newStoreOver(t *testing.T, st *store.Store) (*Store, *applier) {
	t.Helper()
	a := &applier{st: st}
	s, err := New(Config{Proposer: a, Reader: st, Logger: zerolog.New(zerolog.NewTestWriter(t)), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

// wantAuthError checks that err is an *Error of kind k with message msg.
func wantAuthError(t *testing.T, what string, err error, k Kind, msg string) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != k || ae.Message != msg {
		t.Fatalf("%s error = %v (%#v), want kind %d %q", what, err, ae, k, msg)
	}
}

func TestNewConfig(t *testing.T) {
	st := store.New()
	a := &applier{st: st}
	for _, cfg := range []Config{{Reader: st}, {Proposer: a}, {Proposer: a, Reader: st, BcryptCost: 99}} {
		if _, err := New(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New(%+v) error = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	s, err := New(Config{Proposer: a, Reader: st})
	if err != nil || s.cost != bcrypt.DefaultCost {
		t.Errorf("New default cost = %d, %v; want %d", s.cost, err, bcrypt.DefaultCost)
	}
}

// TestFirstWriteCreatesLayout checks the reference's index accounting: the first auth write
// creates /2, /2/users, /2/roles and /2/enabled (four indexes) before its own; later writes
// cost one index each; a failed write costs none.
func TestFirstWriteCreatesLayout(t *testing.T) {
	s, a := newTestStore(t)
	ctx := t.Context()
	if got := a.st.Index(); got != 0 {
		t.Fatalf("fresh store index = %d", got)
	}
	if _, _, err := s.CreateOrUpdateUser(ctx, User{User: "alice", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	if got := a.st.Index(); got != 5 {
		t.Errorf("index after the first user = %d, want 5", got)
	}
	var keys []string
	for _, c := range a.cmds {
		keys = append(keys, c.Op.String()+" "+c.Key)
	}
	want := []string{"create /2", "create /2/users", "create /2/roles", "create /2/enabled", "create /2/users/alice"}
	if !cmp.Equal(keys, want) {
		t.Errorf("commands = %q, want %q", keys, want)
	}
	ev, err := a.st.Read(enabledKey, false, false)
	if err != nil || ev.Node.Value != "false" {
		t.Errorf("enabled flag = %+v, %v; want false", ev, err)
	}
	if err := s.CreateRole(ctx, Role{Role: "app"}); err != nil {
		t.Fatal(err)
	}
	if got := a.st.Index(); got != 6 {
		t.Errorf("index after a role = %d, want 6", got)
	}
	if err := s.CreateRole(ctx, Role{Role: "app"}); err == nil {
		t.Fatal("second create of a role succeeded")
	}
	if got := a.st.Index(); got != 6 {
		t.Errorf("index after a failed create = %d, want 6", got)
	}

	// A second Store (another member, or this one after a restart) finds the layout.
	s2, a2 := newStoreOver(t, a.st)
	if err := s2.DeleteRole(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if len(a2.cmds) != 1 || a.st.Index() != 7 {
		t.Errorf("restarted store proposed %d commands (index %d), want 1 (7)", len(a2.cmds), a.st.Index())
	}
}

// TestDeleteFirstCreatesLayout: like the reference, even a delete of a missing user creates
// the layout first.
func TestDeleteFirstCreatesLayout(t *testing.T) {
	s, a := newTestStore(t)
	err := s.DeleteUser(t.Context(), "nobody")
	wantAuthError(t, "DeleteUser", err, KindNotFound, "auth: User nobody does not exist")
	if got := a.st.Index(); got != 4 {
		t.Errorf("index = %d, want 4", got)
	}
}

// TestUsers walks the user lifecycle with the reference's answers.
func TestUsers(t *testing.T) {
	s, a := newTestStore(t)
	ctx := t.Context()

	if names, err := s.AllUsers(); err != nil || names != nil {
		t.Fatalf("AllUsers on a fresh store = %q, %v; want nil", names, err)
	}
	_, err := s.User("root")
	wantAuthError(t, "User", err, KindNotFound, "auth: User root does not exist.")
	_, _, err = s.CreateOrUpdateUser(ctx, User{User: "bob"})
	wantAuthError(t, "create without password", err, KindInvalid, "auth: Cannot create user bob with an empty password")
	if a.st.Index() != 0 {
		t.Errorf("a refused create consumed an index")
	}

	u, created, err := s.CreateOrUpdateUser(ctx, User{User: "alice", Password: "pw"})
	if err != nil || !created || u.Roles != nil {
		t.Fatalf("create alice = %+v, %v, %v; want created with null roles", u, created, err)
	}
	if u.Password == "pw" || bcrypt.CompareHashAndPassword([]byte(u.Password), []byte("pw")) != nil {
		t.Errorf("stored password %q is not a bcrypt hash of the password", u.Password)
	}
	ev, _ := a.st.Read(userKey("alice"), false, false)
	if strings.Contains(ev.Node.Value, `"pw"`) {
		t.Errorf("record holds the clear password: %s", ev.Node.Value)
	}

	// Password only on an existing user: an update; roles null → [].
	u, created, err = s.CreateOrUpdateUser(ctx, User{User: "alice", Password: "pw2"})
	if err != nil || created || u.Roles == nil || len(u.Roles) != 0 {
		t.Fatalf("update alice = %+v, %v, %v; want updated with []", u, created, err)
	}
	_, _, err = s.CreateOrUpdateUser(ctx, User{User: "alice"})
	wantAuthError(t, "no-op update", err, KindInvalid, "auth: User not updated. Use grant/revoke/password to update the user.")

	// Roles given: a plain create, roles as given (unchecked, unsorted).
	u, err = s.CreateUser(ctx, User{User: "carol", Password: "c", Roles: []string{"zz", "app"}})
	if err != nil || !cmp.Equal(u.Roles, []string{"zz", "app"}) {
		t.Fatalf("create carol = %+v, %v", u, err)
	}
	_, err = s.CreateUser(ctx, User{User: "carol", Password: "c", Roles: []string{"zz"}})
	wantAuthError(t, "create existing", err, KindConflict, "auth: User carol already exists.")

	u, err = s.UpdateUser(ctx, User{User: "carol", Grant: []string{"b"}, Revoke: []string{"zz"}})
	if err != nil || !cmp.Equal(u.Roles, []string{"app", "b"}) {
		t.Fatalf("grant/revoke carol = %+v, %v", u, err)
	}
	_, err = s.UpdateUser(ctx, User{User: "nobody", Grant: []string{"b"}})
	wantAuthError(t, "update missing", err, KindNotFound, "auth: User nobody does not exist.")

	// Root gets the root role at creation.
	u, created, err = s.CreateOrUpdateUser(ctx, User{User: "root", Password: "r"})
	if err != nil || !created || !cmp.Equal(u.Roles, []string{"root"}) {
		t.Fatalf("create root = %+v, %v, %v", u, created, err)
	}

	names, err := s.AllUsers()
	if err != nil || !cmp.Equal(names, []string{"alice", "carol", "root"}) {
		t.Errorf("AllUsers = %q, %v", names, err)
	}
	if err := s.DeleteUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	err = s.DeleteUser(ctx, "carol")
	wantAuthError(t, "delete missing", err, KindNotFound, "auth: User carol does not exist")
}

// TestRootRoleProtected: root cannot be created, changed or deleted, and is always listed.
func TestRootRoleProtected(t *testing.T) {
	s, a := newTestStore(t)
	ctx := t.Context()
	const msg = "auth: Cannot modify role root: is root role."
	wantAuthError(t, "CreateRole", s.CreateRole(ctx, Role{Role: "root"}), KindForbidden, msg)
	_, err := s.UpdateRole(ctx, Role{Role: "root", Revoke: &Permissions{}})
	wantAuthError(t, "UpdateRole", err, KindForbidden, msg)
	wantAuthError(t, "DeleteRole", s.DeleteRole(ctx, "root"), KindForbidden, msg)
	if a.st.Index() != 0 {
		t.Errorf("refused root changes consumed indexes")
	}
	r, err := s.Role("root")
	if err != nil || !cmp.Equal(r, rootRole()) {
		t.Errorf("Role(root) = %+v, %v", r, err)
	}
	names, err := s.AllRoles()
	if err != nil || !cmp.Equal(names, []string{"root"}) {
		t.Errorf("AllRoles = %q, %v", names, err)
	}
}

func TestRoles(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	perms := func(read, write []string) Permissions { return Permissions{KV: RWPermission{Read: read, Write: write}} }

	if err := s.CreateRole(ctx, Role{Role: "r3", Permissions: perms([]string{"/b", "/a"}, nil)}); err != nil {
		t.Fatal(err)
	}
	wantAuthError(t, "create again", s.CreateRole(ctx, Role{Role: "r3"}), KindConflict, "auth: Role r3 already exists.")
	// Stored as given.
	r, err := s.Role("r3")
	if err != nil || !cmp.Equal(r, Role{Role: "r3", Permissions: perms([]string{"/b", "/a"}, nil)}) {
		t.Fatalf("Role(r3) = %+v, %v", r, err)
	}
	// A revoke of nothing still rewrites: the lists get sorted and [] replaces null.
	r, err = s.UpdateRole(ctx, Role{Role: "r3", Revoke: &Permissions{KV: RWPermission{Write: []string{"/nope"}}}})
	if err != nil || !cmp.Equal(r.Permissions, perms([]string{"/a", "/b"}, []string{})) {
		t.Fatalf("revoke nothing = %+v, %v", r, err)
	}
	_, err = s.UpdateRole(ctx, Role{Role: "r3", Revoke: &Permissions{KV: RWPermission{Write: []string{"/nope"}}}})
	wantAuthError(t, "no-op update", err, KindInvalid, "auth: Role not updated. Use grant/revoke to update the role.")
	_, err = s.UpdateRole(ctx, Role{Role: "r3", Grant: &Permissions{KV: RWPermission{Read: []string{"/a"}}}})
	wantAuthError(t, "duplicate grant", err, KindConflict, "auth: Granting duplicate read permission /a")
	_, err = s.UpdateRole(ctx, Role{Role: "nox", Grant: &Permissions{}})
	wantAuthError(t, "update missing", err, KindNotFound, "auth: Role nox does not exist.")
	_, err = s.Role("nox")
	wantAuthError(t, "get missing", err, KindNotFound, "auth: Role nox does not exist.")

	names, err := s.AllRoles()
	if err != nil || !cmp.Equal(names, []string{"r3", "root"}) {
		t.Errorf("AllRoles = %q, %v", names, err)
	}
	if err := s.DeleteRole(ctx, "r3"); err != nil {
		t.Fatal(err)
	}
	wantAuthError(t, "delete missing", s.DeleteRole(ctx, "r3"), KindNotFound, "auth: Role r3 doesn't exist.")
}

func TestEnableDisable(t *testing.T) {
	s, a := newTestStore(t)
	ctx := t.Context()
	if s.Enabled() {
		t.Fatal("enabled on a fresh store")
	}
	wantAuthError(t, "Disable", s.Disable(ctx), KindConflict, "auth: already disabled")
	wantAuthError(t, "Enable without root", s.Enable(ctx), KindConflict, "auth: No root user available, please create one")
	if a.st.Index() != 0 {
		t.Errorf("refused enable consumed indexes")
	}
	if _, err := s.CreateUser(ctx, User{User: "root", Password: "r"}); err != nil {
		t.Fatal(err)
	}
	before := a.st.Index()
	if err := s.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.Enabled() {
		t.Fatal("not enabled after Enable")
	}
	// The default guest role and the flag: two indexes.
	if got := a.st.Index() - before; got != 2 {
		t.Errorf("Enable consumed %d indexes, want 2", got)
	}
	g, err := s.Role("guest")
	if err != nil || !cmp.Equal(g, defaultGuestRole()) {
		t.Errorf("guest role = %+v, %v", g, err)
	}
	wantAuthError(t, "Enable again", s.Enable(ctx), KindConflict, "auth: already enabled")
	wantAuthError(t, "delete root", s.DeleteUser(ctx, "root"), KindForbidden, "auth: Cannot delete root user while auth is enabled.")

	if err := s.Disable(ctx); err != nil || s.Enabled() {
		t.Fatalf("Disable = %v, enabled %v", err, s.Enabled())
	}
	// An existing guest role is kept as it is on the next enable.
	if _, err := s.UpdateRole(ctx, Role{Role: "guest", Revoke: &Permissions{KV: RWPermission{Write: []string{"/*"}}}}); err != nil {
		t.Fatal(err)
	}
	before = a.st.Index()
	if err := s.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.st.Index() - before; got != 1 {
		t.Errorf("second Enable consumed %d indexes, want 1", got)
	}
	if g, _ := s.Role("guest"); len(g.Permissions.KV.Write) != 0 {
		t.Errorf("guest role reset by enable: %+v", g)
	}
	if err := s.DeleteUser(ctx, "root"); err == nil {
		t.Error("root deleted while enabled")
	}
	if err := s.Disable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "root"); err != nil {
		t.Errorf("delete root while disabled: %v", err)
	}
}

func TestEnabledFlagParsing(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{{"true", true}, {"false", false}, {"yes", false}, {"", false}}
	for _, tt := range tests {
		s, a := newTestStore(t)
		if _, err := a.st.Apply(&store.Command{Op: store.OpSet, Key: enabledKey, Value: tt.value}); err != nil {
			t.Fatal(err)
		}
		if got := s.Enabled(); got != tt.want {
			t.Errorf("Enabled() with %q = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	s, _ := newTestStore(t)
	long := strings.Repeat("p", 100)
	for _, u := range []User{{User: "alice", Password: "secret"}, {User: "long", Password: long}} {
		if _, err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, user, password string
		wantErr              error
	}{
		{"right password", "alice", "secret", nil},
		{"wrong password", "alice", "Secret", ErrWrongPassword},
		{"empty password", "alice", "", ErrWrongPassword},
		{"unknown user", "mallory", "secret", ErrUnknownUser},
		// bcrypt uses 72 bytes; the reference accepted longer passwords the same way.
		{"long password", "long", long, nil},
		{"long password, same first 72 bytes", "long", long[:72] + "x", nil},
		{"long password, shorter", "long", long[:71], ErrWrongPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.Authenticate(tt.user, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Authenticate(%q) error = %v, want %v", tt.user, err, tt.wantErr)
			}
			if err == nil && u.User != tt.user {
				t.Errorf("Authenticate(%q) = %q", tt.user, u.User)
			}
		})
	}
}

// TestUpdateRetriesAfterConcurrentChange: when another request changes the record between
// the read and the compareAndSwap, the update merges again, so neither change is lost.
func TestUpdateRetriesAfterConcurrentChange(t *testing.T) {
	s, a := newTestStore(t)
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, User{User: "u", Password: "p", Roles: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRole(ctx, Role{Role: "r"}); err != nil {
		t.Fatal(err)
	}
	other, _ := newStoreOver(t, a.st)
	// concurrently runs once, before the first compareAndSwap of s reaches the store.
	var concurrently func() error
	a.before = func(cmd *store.Command) {
		if f := concurrently; cmd.Op == store.OpCompareAndSwap && f != nil {
			concurrently = nil
			if err := f(); err != nil {
				t.Errorf("concurrent change: %v", err)
			}
		}
	}
	concurrently = func() error {
		_, err := other.UpdateUser(ctx, User{User: "u", Grant: []string{"b"}})
		return err
	}
	u, err := s.UpdateUser(ctx, User{User: "u", Grant: []string{"c"}})
	if err != nil || !cmp.Equal(u.Roles, []string{"a", "b", "c"}) {
		t.Fatalf("UpdateUser after a concurrent change = %+v, %v; want roles a b c", u, err)
	}
	concurrently = func() error {
		_, err := other.UpdateRole(ctx, Role{Role: "r", Grant: &Permissions{KV: RWPermission{Read: []string{"/x"}}}})
		return err
	}
	r, err := s.UpdateRole(ctx, Role{Role: "r", Grant: &Permissions{KV: RWPermission{Write: []string{"/w"}}}})
	if err != nil || !cmp.Equal(r.Permissions.KV, RWPermission{Read: []string{"/x"}, Write: []string{"/w"}}) {
		t.Fatalf("UpdateRole after a concurrent change = %+v, %v", r, err)
	}
	if concurrently != nil {
		t.Error("the concurrent change never ran")
	}
}

// TestStateSurvivesSnapshot: the auth state is part of the store snapshot, so a member
// recovered from one authenticates and enforces as before.
func TestStateSurvivesSnapshot(t *testing.T) {
	s, a := newTestStore(t)
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, User{User: "root", Password: "r"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRole(ctx, Role{Role: "app", Permissions: Permissions{KV: RWPermission{Read: []string{"/app/*"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, User{User: "alice", Password: "pw", Roles: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := a.st.Save()
	if err != nil {
		t.Fatal(err)
	}
	st2 := store.New(store.WithNamespaces("/0", "/1"))
	if err := st2.Recover(snap); err != nil {
		t.Fatal(err)
	}
	s2, _ := newStoreOver(t, st2)
	if !s2.Enabled() {
		t.Error("not enabled after recovery")
	}
	u, err := s2.Authenticate("alice", "pw")
	if err != nil || !cmp.Equal(u.Roles, []string{"app"}) {
		t.Fatalf("Authenticate after recovery = %+v, %v", u, err)
	}
	r, err := s2.Role("app")
	if err != nil || !r.HasKeyAccess("/app/x", false) || r.HasKeyAccess("/app/x", true) {
		t.Errorf("role after recovery = %+v, %v", r, err)
	}
	if st2.Index() != a.st.Index() {
		t.Errorf("recovered index %d, want %d", st2.Index(), a.st.Index())
	}
}

// TestRecordShape pins the stored JSON (field order of the reference's records).
func TestRecordShape(t *testing.T) {
	s, a := newTestStore(t)
	ctx := t.Context()
	if err := s.CreateRole(ctx, Role{Role: "r", Permissions: Permissions{KV: RWPermission{Read: []string{"/a"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, User{User: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	ev, _ := a.st.Read(roleKey("r"), false, false)
	if want := `{"role":"r","permissions":{"kv":{"read":["/a"],"write":null}}}`; ev.Node.Value != want {
		t.Errorf("role record = %s, want %s", ev.Node.Value, want)
	}
	ev, _ = a.st.Read(userKey("u"), false, false)
	var rec map[string]any
	if err := json.Unmarshal([]byte(ev.Node.Value), &rec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ev.Node.Value, `{"user":"u","password":"$2a$04$`) || !strings.HasSuffix(ev.Node.Value, `","roles":null}`) {
		t.Errorf("user record = %s", ev.Node.Value)
	}
}
