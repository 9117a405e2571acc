package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/etcd2/etcd2/store"
)

// Proposer is the replicated side of a member (the raft node).
type Proposer interface {
	// Do proposes cmd and waits until it is applied locally. Refusals of the store are
	// *store.Error; anything else is a replication failure.
	Do(ctx context.Context, cmd *store.Command) (*store.Event, error)
	// LinearizableRead returns once the local store holds everything committed before it.
	LinearizableRead(ctx context.Context) error
}

// Reader reads the local store without counting the reads as client gets (*store.Store).
type Reader interface {
	Read(key string, recursive, sorted bool) (*store.Event, error)
	// FileValue is a file's value without building an event (false: no such file).
	FileValue(key string) (string, bool)
}

// Config configures New.
type Config struct {
	Proposer Proposer // required
	Reader   Reader   // required
	Logger   zerolog.Logger
	// BcryptCost is the cost of new password hashes; 0 means bcrypt.DefaultCost (10), the
	// reference's. Tests lower it to bcrypt.MinCost.
	BcryptCost int
}

// ErrInvalidConfig wraps every reason New refuses a Config.
var ErrInvalidConfig = errors.New("auth: invalid config")

// Store reads and changes the auth state of the replicated store (see the package comment).
// Its methods are safe for concurrent use.
type Store struct {
	p         Proposer
	r         Reader
	lg        zerolog.Logger
	cost      int
	dummyHash func() []byte
	// compare is bcrypt.CompareHashAndPassword (tests count the calls).
	compare  func(hash, password []byte) error
	verified *verifiedCache
	// ensured records that the /2 directories and the flag exist, so later writes skip
	// the check.
	ensured atomic.Bool
}

// Store layout (the reference's).
const (
	Prefix     = "/2"
	usersDir   = Prefix + "/users"
	rolesDir   = Prefix + "/roles"
	enabledKey = Prefix + "/enabled"
)

// maxAttempts bounds how often a read-modify-write starts over because another request
// changed the same record between its read and its compareAndSwap.
const maxAttempts = 5

// New returns a Store over the member's proposer and local store.
func New(cfg Config) (*Store, error) {
	switch {
	case cfg.Proposer == nil:
		return nil, fmt.Errorf("%w: no proposer", ErrInvalidConfig)
	case cfg.Reader == nil:
		return nil, fmt.Errorf("%w: no reader", ErrInvalidConfig)
	case cfg.BcryptCost != 0 && (cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost):
		return nil, fmt.Errorf("%w: bcrypt cost %d", ErrInvalidConfig, cfg.BcryptCost)
	}
	cost := cfg.BcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	s := &Store{p: cfg.Proposer, r: cfg.Reader, lg: cfg.Logger.With().Str("component", "auth").Logger(), cost: cost,
		compare: bcrypt.CompareHashAndPassword, verified: newVerifiedCache(verifiedCacheSize)}
	s.dummyHash = sync.OnceValue(func() []byte {
		h, err := bcrypt.GenerateFromPassword([]byte("no such user"), cost)
		if err != nil {
			panic(err) // a short password at a validated cost always hashes
		}
		return h
	})
	return s, nil
}

// Enabled reports whether auth is enabled, as the local store knows it.
func (s *Store) Enabled() bool {
	v, ok := s.r.FileValue(enabledKey)
	if !ok {
		return false
	}
	// Every keys request asks: the two values ever written are decided without JSON.
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	var on bool
	if err := json.Unmarshal([]byte(v), &on); err != nil {
		s.lg.Warn().Err(err).Str("path", enabledKey).Msg("auth flag is not a JSON boolean")
		return false
	}
	return on
}

// Enable turns auth on. It needs the root user; it creates the default guest role (full
// key access) when there is no guest role.
func (s *Store) Enable(ctx context.Context) error {
	if s.Enabled() {
		return newError(KindConflict, "already enabled")
	}
	if err := s.p.LinearizableRead(ctx); err != nil {
		return err
	}
	if _, err := s.User(RootUserName); err != nil {
		if isKind(err, KindNotFound) {
			return newError(KindConflict, "No root user available, please create one")
		}
		return err
	}
	if _, err := s.Role(GuestRoleName); err != nil {
		if !isKind(err, KindNotFound) {
			return err
		}
		s.lg.Info().Str("role", GuestRoleName).Msg("no guest role; creating the default one")
		if err := s.CreateRole(ctx, defaultGuestRole()); err != nil {
			return err
		}
	}
	if _, err := s.write(ctx, &store.Command{Op: store.OpUpdate, Key: enabledKey, Value: "true"}); err != nil {
		return err
	}
	s.lg.Info().Msg("enabled auth")
	return nil
}

// Disable turns auth off.
func (s *Store) Disable(ctx context.Context) error {
	if !s.Enabled() {
		return newError(KindConflict, "already disabled")
	}
	if _, err := s.write(ctx, &store.Command{Op: store.OpUpdate, Key: enabledKey, Value: "false"}); err != nil {
		return err
	}
	s.lg.Info().Msg("disabled auth")
	return nil
}

// isKind reports whether err is an *Error of kind k.
func isKind(err error, k Kind) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.Kind == k
}

// isCode reports whether err is a store error with code c.
func isCode(err error, c store.Code) bool {
	var se *store.Error
	return errors.As(err, &se) && se.Code == c
}

// read returns the node at key from the local store, nil when there is none.
func (s *Store) read(key string) (*store.NodeExtern, error) {
	ev, err := s.r.Read(key, false, false)
	switch {
	case isCode(err, store.CodeKeyNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return ev.Node, nil
}

// names lists the visible children of dir, sorted.
func (s *Store) names(dir string) ([]string, error) {
	n, err := s.read(dir)
	if err != nil || n == nil {
		return nil, err
	}
	out := make([]string, 0, len(n.Nodes))
	for _, c := range n.Nodes {
		out = append(out, path.Base(c.Key))
	}
	slices.Sort(out)
	return out, nil
}

// ensure creates /2, /2/users, /2/roles and /2/enabled ("false") where missing, as the
// reference does before its first auth write: the same creates, in the same order, so
// they consume the same store indexes. A create that finds its node (another member's
// request got there first) is fine.
func (s *Store) ensure(ctx context.Context) error {
	if s.ensured.Load() {
		return nil
	}
	if n, err := s.read(enabledKey); err == nil && n != nil {
		s.ensured.Store(true)
		return nil
	}
	cmds := []*store.Command{
		{Op: store.OpCreate, Key: Prefix, Dir: true},
		{Op: store.OpCreate, Key: usersDir, Dir: true},
		{Op: store.OpCreate, Key: rolesDir, Dir: true},
		{Op: store.OpCreate, Key: enabledKey, Value: "false"},
	}
	for _, cmd := range cmds {
		if _, err := s.p.Do(ctx, cmd); err != nil && !isCode(err, store.CodeNodeExist) {
			return fmt.Errorf("auth: creating %s: %w", cmd.Key, err)
		}
	}
	s.ensured.Store(true)
	return nil
}

// write makes sure the auth directories exist, then proposes cmd.
func (s *Store) write(ctx context.Context, cmd *store.Command) (*store.Event, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	return s.p.Do(ctx, cmd)
}

// record returns the JSON text of a user or role record.
func record(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // structs of strings and string slices always marshal
	}
	return string(b)
}
