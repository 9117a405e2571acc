package store

import (
	"strings"
	"sync"
	"time"
)

// Clock tells the time. The store reads it only to display remaining TTLs, never to decide
// anything.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

type config struct {
	namespaces    []string
	historySize   int
	watcherBuffer int
	clock         Clock
}

// Option configures New.
type Option func(*config)

// WithNamespaces creates each directory (e.g. "/0", "/1") at index 0 and makes it read-only
// like the root: set, create, update, compareAndSwap and delete on it fail with 107.
func WithNamespaces(dirs ...string) Option {
	return func(c *config) { c.namespaces = append(c.namespaces, dirs...) }
}

// WithHistorySize sets how many events the history keeps (default 1000, minimum 1).
func WithHistorySize(n int) Option {
	return func(c *config) { c.historySize = max(n, 1) }
}

// WithWatcherBuffer sets how many events a stream watcher may have queued before it is
// ended with ErrWatcherOverflow (default 100, like the reference; minimum 1).
func WithWatcherBuffer(n int) Option {
	return func(c *config) { c.watcherBuffer = max(n, 1) }
}

// WithClock sets the clock used to display TTLs (default: the real clock).
func WithClock(c Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// Store is the v2 key tree with its TTL heap, event history, watcher hub and counters.
// Apply (and Recover) mutate it from one goroutine; reads and watches may run concurrently
// from any number of goroutines.
type Store struct {
	cfg config
	// readonly holds "/" and the namespace directories.
	readonly map[string]bool

	mu      sync.RWMutex // Apply and Recover hold it exclusively; reads share it
	root    *node
	index   uint64 // the index of the last mutation
	ttl     ttlHeap
	history *eventHistory
	stats   counters // mutation counters are written under mu; gets are atomic
	hub     *watcherHub
}

// New returns an empty store at index 0.
func New(opts ...Option) *Store {
	cfg := config{historySize: 1000, watcherBuffer: 100, clock: realClock{}}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Store{readonly: map[string]bool{"/": true}, hub: newWatcherHub()}
	namespaces := make([]string, 0, len(cfg.namespaces))
	for _, ns := range cfg.namespaces {
		ns = cleanKey(ns)
		namespaces = append(namespaces, ns)
		s.readonly[ns] = true
	}
	cfg.namespaces = namespaces
	s.cfg = cfg
	s.reset()
	return s
}

// reset empties the tree and history and recreates the namespace directories.
func (s *Store) reset() {
	s.root = newDir("/", 0, nil, 0)
	s.index = 0
	s.ttl = ttlHeap{}
	s.history = newEventHistory(s.cfg.historySize)
	s.makeNamespaces()
}

// makeNamespaces creates the missing namespace directories (and their parents) at index 0.
func (s *Store) makeNamespaces() {
	for _, ns := range s.cfg.namespaces {
		d := s.root
		for i := 1; i <= len(ns); i++ {
			if i < len(ns) && ns[i] != '/' {
				continue
			}
			c := d.children[baseName(ns[:i])]
			if c == nil || !c.dir {
				c = newDir(ns[:i], 0, d, 0)
				d.addChild(c)
			}
			d = c
		}
	}
}

// Index returns the store index: the index of the last mutation.
func (s *Store) Index() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.index
}

// HasTTLKeys reports whether any node has an expire time; only then does the leader need
// to propose sweeps.
func (s *Store) HasTTLKeys() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ttl.len() > 0
}

// NextExpiration returns the earliest expire time (unix nanoseconds), false when no node
// has one.
func (s *Store) NextExpiration() (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if n := s.ttl.top(); n != nil {
		return n.expireTime, true
	}
	return 0, false
}

// Stats returns the counters of /v2/stats/store.
func (s *Store) Stats() Stats {
	return s.stats.snapshot(uint64(s.hub.count.Load()))
}

// lookupLocked finds the node at the clean key. A missing node is 100 with the first
// missing prefix as cause; a file in the way is 104 with the file's key as cause (SPEC §2.4).
func (s *Store) lookupLocked(key string) (*node, error) {
	n, _, code, cause := s.findLocked(key)
	if code != 0 {
		return nil, NewError(code, cause, s.index)
	}
	return n, nil
}

// findLocked is lookupLocked without building the error, for callers to whom a missing
// key is not a failure. last is the deepest node found on the way.
func (s *Store) findLocked(key string) (n, last *node, code Code, cause string) {
	n = s.root
	for i := 1; i < len(key); {
		end := strings.IndexByte(key[i:], '/')
		if end < 0 {
			end = len(key)
		} else {
			end += i
		}
		if !n.dir {
			return nil, n, CodeNotDir, n.path
		}
		c := n.children[key[i:end]]
		if c == nil {
			return nil, n, CodeKeyNotFound, key[:end]
		}
		n = c
		i = end + 1
	}
	return n, n, 0, ""
}

// Get reads the node at key: a file with its value, a directory with its visible children
// (every level when recursive, sorted by key when sorted). EtcdIndex is the store index.
func (s *Store) Get(key string, recursive, sorted bool) (*Event, error) {
	ev, err := s.Read(key, recursive, sorted)
	if err != nil {
		s.stats[statGetsFail].Add(1)
		return nil, err
	}
	s.stats[statGetsSuccess].Add(1)
	return ev, nil
}

// Read is Get for the server's own bookkeeping (membership records, for instance): it
// leaves the get counters alone, so /v2/stats/store counts client reads only.
func (s *Store) Read(key string, recursive, sorted bool) (*Event, error) {
	key = cleanKey(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, err := s.lookupLocked(key)
	if err != nil {
		return nil, err
	}
	return &Event{Action: ActionGet, Node: n.externTree(recursive, sorted, s.cfg.clock.Now()), EtcdIndex: s.index}, nil
}

// FileValue returns the value of the file at key, and false when there is none (missing,
// or a directory). It builds nothing, for the server's own lookups on every request (the
// auth flag); like Read it leaves the get counters alone.
func (s *Store) FileValue(key string) (string, bool) {
	key = cleanKey(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, _, code, _ := s.findLocked(key)
	if code != 0 || n.dir {
		return "", false
	}
	return n.value, true
}

// AppendGetJSON is Get encoded straight to buf under the read lock, without building the
// event: the bytes Get(...).AppendJSON(buf, trim) would write. It returns the store index
// for X-Etcd-Index; on error buf is returned unchanged.
func (s *Store) AppendGetJSON(buf []byte, key string, recursive, sorted bool, trim string) ([]byte, uint64, error) {
	key = cleanKey(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, err := s.lookupLocked(key)
	if err != nil {
		s.stats[statGetsFail].Add(1)
		return buf, s.index, err
	}
	s.stats[statGetsSuccess].Add(1)
	buf = append(buf, `{"action":"get","node":`...)
	buf = n.appendJSON(buf, true, recursive, sorted, s.cfg.clock.Now(), trim)
	return append(buf, "}\n"...), s.index, nil
}

// Watch registers a watcher on key (and, when recursive, the subtree below it) for events
// from sinceIndex on; 0 means from the next event. When sinceIndex is already in the
// history, a one-shot watcher gets the first matching event at once and a stream watcher
// gets every matching event from history in order, then live events ([OURS], SPEC §3.4: the
// reference stalls after the first). A sinceIndex older than the history fails with 401.
func (s *Store) Watch(key string, recursive, stream bool, sinceIndex uint64) (*Watcher, error) {
	key = cleanKey(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if sinceIndex == 0 {
		sinceIndex = s.index + 1
	}
	w := &Watcher{hub: s.hub, key: key, recursive: recursive, stream: stream, sinceIndex: sinceIndex, startIndex: s.index}
	var replayed []*Event
	err := s.history.replay(key, recursive, sinceIndex, s.index, func(e *Event) bool {
		replayed = append(replayed, e)
		return stream
	})
	if err != nil {
		return nil, err
	}
	if !stream {
		w.eventc = make(chan *Event, 1)
		if len(replayed) > 0 {
			w.eventc <- replayed[0]
			w.ended = true
			close(w.eventc)
			return w, nil
		}
	} else {
		// Room for the whole replay on top of the live buffer: history is bounded, and a
		// replay must not overflow a watcher that has not had a chance to read yet.
		w.eventc = make(chan *Event, s.cfg.watcherBuffer+len(replayed))
		for _, e := range replayed {
			w.eventc <- e
		}
	}
	// Registering under the read lock: no event can be applied between the history scan
	// and the registration, so the watcher neither misses nor repeats one.
	s.hub.add(w)
	return w, nil
}
