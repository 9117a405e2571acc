package store

import (
	"strconv"
	"time"
)

// minExpireTime is 2000-01-01 UTC in unix nanoseconds: set and create treat an earlier
// expire time as "permanent" (SPEC §2.8).
var minExpireTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// Apply applies one command and returns its event. It is the only mutator besides Recover
// and must be called from one goroutine. It is deterministic: the same commands in the
// same order leave every replica in the same state; the clock only fills display TTLs of the
// returned event. A failed command changes nothing (besides its fail counter) and returns an
// *Error. OpExpire returns a nil event: each expired node makes its own event, delivered to
// watchers and kept in history.
func (s *Store) Apply(cmd *Command) (*Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.clock.Now()
	if cmd.Op == OpExpire {
		s.expireLocked(cmd.Time, now)
		return nil, nil
	}
	key := cleanKey(cmd.Key)
	var (
		e       *Event
		removed *node
		err     error
	)
	switch cmd.Op {
	case OpSet:
		e, err = s.setLocked(cmd, key, now)
	case OpCreate:
		e, err = s.createLocked(key, cmd.Dir, cmd.Value, cmd.Unique, false, cmd.Expiration, ActionCreate, now)
	case OpUpdate:
		e, err = s.updateLocked(cmd, key, now)
	case OpCompareAndSwap:
		e, err = s.compareAndSwapLocked(cmd, key, now)
	case OpDelete:
		e, removed, err = s.deleteLocked(cmd, key, now)
	case OpCompareAndDelete:
		e, removed, err = s.compareAndDeleteLocked(cmd, key, now)
	default:
		return nil, NewError(CodeRaftInternal, "store: unknown op "+cmd.Op.String(), s.index)
	}
	s.stats.countOp(cmd.Op, err != nil)
	if err != nil {
		return nil, err
	}
	s.commitLocked(e, removed)
	return e, nil
}

// commitLocked spends the event's index and publishes the event: into history always, to
// watchers unless it is a refresh (SPEC §2.9).
func (s *Store) commitLocked(e *Event, removed *node) {
	s.index = e.Index()
	s.history.add(e)
	if !e.Refresh {
		s.hub.notify(e, removed)
	}
}

func (s *Store) readOnlyErr(key string) error {
	if s.readonly[key] {
		return NewError(CodeRootReadOnly, "/", s.index)
	}
	return nil
}

// setLocked creates or replaces the node (SPEC §2.4 set). A refresh keeps the current
// value but otherwise is a set, so it too re-creates the node with a new createdIndex
// ([QUIRK] copied, SPEC §2.9).
func (s *Store) setLocked(cmd *Command, key string, now time.Time) (*Event, error) {
	prev, last, code, cause := s.findLocked(key)
	if code == CodeNotDir || code == CodeKeyNotFound && cmd.Refresh {
		return nil, NewError(code, cause, s.index)
	}
	value := cmd.Value
	if cmd.Refresh {
		value = prev.value
	}
	// The walk already found where the node goes when only the last component is
	// missing, or the node itself exists: spare createLocked a second walk.
	var at *place
	switch {
	case code == 0 && prev.parent != nil:
		at = &place{parent: prev.parent, old: prev}
	case code == CodeKeyNotFound && cause == key:
		at = &place{parent: last}
	}
	e, err := s.createInLocked(key, cmd.Dir, value, false, true, cmd.Expiration, ActionSet, now, at)
	if err != nil {
		return nil, err
	}
	e.Refresh = cmd.Refresh
	return e, nil
}

// createLocked makes a file or directory at key (or, when unique, at key/<20-digit new
// index>), creating missing parents as permanent directories with the new index. An existing
// node is 105, unless replace, when an existing file is dropped for a new node (102 for a
// directory).
func (s *Store) createLocked(key string, dir bool, value string, unique, replace bool, exp int64, action Action, now time.Time) (*Event, error) {
	return s.createInLocked(key, dir, value, unique, replace, exp, action, now, nil)
}

// place is where a node goes: its parent directory and the node there now, if any.
type place struct {
	parent, old *node
}

// createInLocked is createLocked with the place already known (at != nil) or to be found.
func (s *Store) createInLocked(key string, dir bool, value string, unique, replace bool, exp int64, action Action, now time.Time, at *place) (*Event, error) {
	next := s.index + 1
	if unique {
		if key == "/" {
			key = ""
		}
		key = key + "/" + uniqueName(next)
	}
	if err := s.readOnlyErr(key); err != nil {
		return nil, err
	}
	if exp < minExpireTime {
		exp = 0
	}
	if at == nil {
		parent, err := s.makeDirsLocked(parentKey(key), next)
		if err != nil {
			return nil, err
		}
		at = &place{parent: parent, old: parent.children[baseName(key)]}
	}
	parent := at.parent
	e := &Event{Action: action, EtcdIndex: next}
	if old := at.old; old != nil {
		if !replace {
			return nil, NewError(CodeNodeExist, key, s.index)
		}
		if old.dir {
			return nil, NewError(CodeNotFile, key, s.index)
		}
		e.PrevNode = old.extern(now)
		s.detachLocked(old)
	}
	var n *node
	if dir {
		n = newDir(key, next, parent, exp)
	} else {
		n = newFile(key, value, next, parent, exp)
	}
	parent.addChild(n)
	if exp != 0 {
		s.ttl.push(n)
	}
	e.Node = n.extern(now)
	return e, nil
}

// makeDirsLocked returns the directory at the clean key, creating it and its missing
// parents with the given index. A file in the way is 104 with the file's key as cause.
// It fails only before creating anything: below a missing directory nothing can be in the way.
func (s *Store) makeDirsLocked(key string, index uint64) (*node, error) {
	d := s.root
	for i := 1; i < len(key); {
		end := i
		for end < len(key) && key[end] != '/' {
			end++
		}
		c := d.children[key[i:end]]
		switch {
		case c == nil:
			c = newDir(key[:end], index, d, 0)
			d.addChild(c)
		case !c.dir:
			return nil, NewError(CodeNotDir, c.path, s.index)
		}
		d = c
		i = end + 1
	}
	return d, nil
}

// updateLocked changes the value and TTL of a file, or only the TTL of a directory (SPEC §2.4
// update). The TTL is always rewritten: no expiration makes the node permanent.
func (s *Store) updateLocked(cmd *Command, key string, now time.Time) (*Event, error) {
	if err := s.readOnlyErr(key); err != nil {
		return nil, err
	}
	n, err := s.lookupLocked(key)
	if err != nil {
		return nil, err
	}
	if n.dir && cmd.Value != "" {
		return nil, NewError(CodeNotFile, key, s.index)
	}
	next := s.index + 1
	e := &Event{Action: ActionUpdate, EtcdIndex: next, PrevNode: n.extern(now), Refresh: cmd.Refresh}
	if !n.dir {
		if !cmd.Refresh {
			n.value = cmd.Value
		}
		n.modifiedIndex = next
	}
	// [QUIRK] copied (SPEC §2.4): a directory keeps its modifiedIndex in the tree, but the
	// response reports the new index. The reference also keeps update's expire time as
	// given, even before 2000 (such a node expires at the next sweep).
	s.ttl.setExpire(n, cmd.Expiration)
	e.Node = n.extern(now)
	e.Node.ModifiedIndex = next
	return e, nil
}

// compareAndSwapLocked replaces a file's value and TTL when the conditions hold.
func (s *Store) compareAndSwapLocked(cmd *Command, key string, now time.Time) (*Event, error) {
	if err := s.readOnlyErr(key); err != nil {
		return nil, err
	}
	n, err := s.lookupLocked(key)
	if err != nil {
		return nil, err
	}
	if err := s.compareLocked(n, cmd); err != nil {
		return nil, err
	}
	next := s.index + 1
	e := &Event{Action: ActionCompareAndSwap, EtcdIndex: next, PrevNode: n.extern(now), Refresh: cmd.Refresh}
	if !cmd.Refresh {
		n.value = cmd.Value
	}
	n.modifiedIndex = next
	s.ttl.setExpire(n, cmd.Expiration)
	e.Node = n.extern(now)
	return e, nil
}

// compareLocked checks the CAS/CAD conditions on n: a directory is 102; a failed condition
// is 101 with the cause formats of SPEC §2.4 (a condition not supplied always holds).
func (s *Store) compareLocked(n *node, cmd *Command) error {
	if n.dir {
		return NewError(CodeNotFile, n.path, s.index)
	}
	valueOK := cmd.PrevValue == "" || cmd.PrevValue == n.value
	indexOK := cmd.PrevIndex == 0 || cmd.PrevIndex == n.modifiedIndex
	if valueOK && indexOK {
		return nil
	}
	var cause string
	if !valueOK {
		cause = "[" + cmd.PrevValue + " != " + n.value + "]"
	}
	if !indexOK {
		if cause != "" {
			cause += " "
		}
		cause += "[" + strconv.FormatUint(cmd.PrevIndex, 10) + " != " + strconv.FormatUint(n.modifiedIndex, 10) + "]"
	}
	return NewError(CodeTestFailed, cause, s.index)
}

// uniqueName returns the name of an in-order child created at index: the index as a
// 20-digit zero-padded decimal (SPEC §2.4 POST), so that byte order is creation order.
func uniqueName(index uint64) string {
	var b [20]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + index%10)
		index /= 10
	}
	return string(b[:])
}

// deleteLocked removes a file, or a directory with dir (empty) or recursive (any).
func (s *Store) deleteLocked(cmd *Command, key string, now time.Time) (*Event, *node, error) {
	if err := s.readOnlyErr(key); err != nil {
		return nil, nil, err
	}
	n, err := s.lookupLocked(key)
	if err != nil {
		return nil, nil, err
	}
	if n.dir {
		if !cmd.Dir && !cmd.Recursive {
			return nil, nil, NewError(CodeNotFile, key, s.index)
		}
		if len(n.children) > 0 && !cmd.Recursive {
			return nil, nil, NewError(CodeDirNotEmpty, key, s.index)
		}
	}
	return s.removeEventLocked(n, ActionDelete, now), n, nil
}

// compareAndDeleteLocked removes a file when the conditions hold. Unlike the other writes
// it has no read-only check: on "/" or a namespace it answers 102 like on any directory
// (reference behaviour, verified; the namespaces are directories).
func (s *Store) compareAndDeleteLocked(cmd *Command, key string, now time.Time) (*Event, *node, error) {
	n, err := s.lookupLocked(key)
	if err != nil {
		return nil, nil, err
	}
	if err := s.compareLocked(n, cmd); err != nil {
		return nil, nil, err
	}
	return s.removeEventLocked(n, ActionCompareAndDelete, now), n, nil
}

// expireLocked removes every node due at t (expire time <= t) in expiry order, each with its
// own event and index; a directory goes with its subtree as one event (SPEC §2.8).
func (s *Store) expireLocked(t int64, now time.Time) {
	for {
		n := s.ttl.top()
		if n == nil || n.expireTime > t {
			return
		}
		e := s.removeEventLocked(n, ActionExpire, now)
		s.stats[statExpireCount].Add(1)
		s.commitLocked(e, n)
	}
}

// removeEventLocked detaches n and returns the event of its removal: the node has no value
// and the new modifiedIndex; prevNode is the node as it was, without children.
func (s *Store) removeEventLocked(n *node, action Action, now time.Time) *Event {
	next := s.index + 1
	e := &Event{
		Action:    action,
		Node:      &NodeExtern{Key: n.path, Dir: n.dir, ModifiedIndex: next, CreatedIndex: n.createdIndex},
		PrevNode:  n.extern(now),
		EtcdIndex: next,
	}
	s.detachLocked(n)
	return e
}

// detachLocked takes n out of its parent and takes n and its subtree out of the TTL heap.
// The subtree itself stays intact so that the watcher hub can find the watchers below it.
func (s *Store) detachLocked(n *node) {
	delete(n.parent.children, n.name())
	if s.ttl.len() > 0 {
		s.untrackLocked(n)
	}
}

func (s *Store) untrackLocked(n *node) {
	s.ttl.remove(n)
	for _, c := range n.children {
		s.untrackLocked(c)
	}
}
