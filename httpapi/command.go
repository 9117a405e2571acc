package httpapi

import (
	"net/http"
	"time"

	"github.com/etcd2/etcd2/store"
)

// command decides the store operation of a write request (SPEC §2.3) and fixes its
// absolute expire time from now. It must only be called for PUT, POST and DELETE.
func (kr *keyRequest) command(now time.Time) *store.Command {
	cmd := &store.Command{Key: kr.key}
	hasCondition := kr.prevValue != "" || kr.prevIndex > 0
	switch kr.method {
	case http.MethodPost:
		cmd.Op = store.OpCreate
		cmd.Unique = true
	case http.MethodDelete:
		// DELETE ignores prevExist entirely.
		if hasCondition {
			cmd.Op = store.OpCompareAndDelete
		} else {
			cmd.Op = store.OpDelete
			cmd.Dir, cmd.Recursive = kr.dir, kr.recursive
		}
		cmd.PrevValue, cmd.PrevIndex = kr.prevValue, kr.prevIndex
		return cmd
	default: // PUT
		switch {
		case kr.prevExist == isFalse:
			// prevExist=false beats prevValue/prevIndex: a plain create.
			cmd.Op = store.OpCreate
		case kr.prevExist == isTrue && !hasCondition:
			cmd.Op = store.OpUpdate
		case hasCondition:
			cmd.Op = store.OpCompareAndSwap
		default:
			cmd.Op = store.OpSet
		}
	}

	switch cmd.Op {
	case store.OpCreate, store.OpSet:
		// Only set and create make directories; a directory has no value.
		cmd.Dir = kr.dir
		if !kr.dir {
			cmd.Value = kr.value
		}
	default:
		cmd.Value = kr.value
		cmd.PrevValue, cmd.PrevIndex = kr.prevValue, kr.prevIndex
	}
	// Create ignores refresh (the reference's create has no refresh path), so a
	// refresh with prevExist=false or POST creates a key with an empty value.
	cmd.Refresh = kr.refresh == isTrue && cmd.Op != store.OpCreate
	if kr.hasTTL {
		cmd.Expiration = store.ExpirationFromTTL(now, kr.ttl)
	}
	return cmd
}
