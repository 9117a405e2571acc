package members

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"

	"github.com/etcd2/etcd2/store"
)

// Errors of membership changes. The texts are the reference's (the HTTP layer shows them).
var (
	ErrIDExists      = errors.New("membership: ID exists")
	ErrPeerURLExists = errors.New("membership: peerURL exists")
	ErrIDNotFound    = errors.New("membership: ID not found")
	ErrIDRemoved     = errors.New("membership: ID removed")
)

// Cluster is the membership as recorded in the store. It is safe for concurrent readers;
// the raft layer calls Recover after applying writes under /0.
type Cluster struct {
	id      ID
	mu      sync.RWMutex
	members map[ID]*Member
	removed map[ID]bool
	version string
}

// NewCluster returns an empty view of cluster id.
func NewCluster(id ID) *Cluster {
	return &Cluster{id: id, members: map[ID]*Member{}, removed: map[ID]bool{}}
}

// ID is the cluster ID.
func (c *Cluster) ID() ID { return c.id }

// Members returns copies of all members sorted by ID.
func (c *Cluster) Members() []Member {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Member, 0, len(c.members))
	for _, m := range c.members {
		out = append(out, clone(m))
	}
	slices.SortFunc(out, func(a, b Member) int { return compareID(a.ID, b.ID) })
	return out
}

// Member returns member id.
func (c *Cluster) Member(id ID) (Member, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	m, ok := c.members[id]
	if !ok {
		return Member{}, false
	}
	return clone(m), true
}

// IsRemoved reports whether id was removed from the cluster.
func (c *Cluster) IsRemoved(id ID) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.removed[id]
}

// Version is the recorded cluster version, "" until set.
func (c *Cluster) Version() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.version
}

func clone(m *Member) Member {
	return Member{ID: m.ID, Name: m.Name, PeerURLs: slices.Clone(m.PeerURLs), ClientURLs: slices.Clone(m.ClientURLs)}
}

// ValidateAdd checks that m may join: new ID, never removed, no peer URL in use.
func (c *Cluster) ValidateAdd(m Member) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.removed[m.ID] {
		return ErrIDRemoved
	}
	if _, ok := c.members[m.ID]; ok {
		return ErrIDExists
	}
	return c.checkURLsLocked(m)
}

// ValidateRemove checks that id is a current member.
func (c *Cluster) ValidateRemove(id ID) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.removed[id] {
		return ErrIDRemoved
	}
	if _, ok := c.members[id]; !ok {
		return ErrIDNotFound
	}
	return nil
}

// ValidateUpdate checks that m.ID is a current member and that no other member uses
// one of m's peer URLs.
func (c *Cluster) ValidateUpdate(m Member) error {
	if err := c.ValidateRemove(m.ID); err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.checkURLsLocked(m)
}

func (c *Cluster) checkURLsLocked(m Member) error {
	for id, o := range c.members {
		if id == m.ID {
			continue
		}
		for _, u := range m.PeerURLs {
			if slices.Contains(o.PeerURLs, u) {
				return ErrPeerURLExists
			}
		}
	}
	return nil
}

// Recover rebuilds the view from the records under /0 in st.
func (c *Cluster) Recover(st *store.Store) error {
	ms := map[ID]*Member{}
	removed := map[ID]bool{}
	version := ""

	if ev, err := st.Read(membersDir, true, false); err == nil {
		for _, dir := range ev.Node.Nodes {
			id, err := ParseID(path.Base(dir.Key))
			if err != nil {
				return fmt.Errorf("members: record %s: %w", dir.Key, err)
			}
			m := &Member{ID: id}
			for _, rec := range dir.Nodes {
				switch path.Base(rec.Key) {
				case raftAttrsName:
					var ra raftAttributes
					if err := json.Unmarshal([]byte(rec.Value), &ra); err != nil {
						return fmt.Errorf("members: record %s: %w", rec.Key, err)
					}
					m.PeerURLs = ra.PeerURLs
				case attrsName:
					var a attributes
					if err := json.Unmarshal([]byte(rec.Value), &a); err != nil {
						return fmt.Errorf("members: record %s: %w", rec.Key, err)
					}
					m.Name, m.ClientURLs = a.Name, a.ClientURLs
				}
			}
			ms[id] = m
		}
	} else if !isNotFound(err) {
		return fmt.Errorf("members: read %s: %w", membersDir, err)
	}
	if ev, err := st.Read(removedDir, false, false); err == nil {
		for _, n := range ev.Node.Nodes {
			id, err := ParseID(path.Base(n.Key))
			if err != nil {
				return fmt.Errorf("members: record %s: %w", n.Key, err)
			}
			removed[id] = true
		}
	} else if !isNotFound(err) {
		return fmt.Errorf("members: read %s: %w", removedDir, err)
	}
	if ev, err := st.Read(versionKey, false, false); err == nil {
		version = ev.Node.Value
	} else if !isNotFound(err) {
		return fmt.Errorf("members: read %s: %w", versionKey, err)
	}

	c.mu.Lock()
	c.members, c.removed, c.version = ms, removed, version
	c.mu.Unlock()
	return nil
}

func isNotFound(err error) bool {
	var se *store.Error
	return errors.As(err, &se) && se.Code == store.CodeKeyNotFound
}
