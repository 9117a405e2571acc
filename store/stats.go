package store

import (
	"strconv"
	"sync/atomic"
)

// Stats are the store counters of /v2/stats/store (SPEC §5). Mutation counters count
// applied commands, so every replica has the same ones; get counters and Watchers are local.
type Stats struct {
	GetsSuccess             uint64 `json:"getsSuccess"`
	GetsFail                uint64 `json:"getsFail"`
	SetsSuccess             uint64 `json:"setsSuccess"`
	SetsFail                uint64 `json:"setsFail"`
	DeleteSuccess           uint64 `json:"deleteSuccess"`
	DeleteFail              uint64 `json:"deleteFail"`
	UpdateSuccess           uint64 `json:"updateSuccess"`
	UpdateFail              uint64 `json:"updateFail"`
	CreateSuccess           uint64 `json:"createSuccess"`
	CreateFail              uint64 `json:"createFail"`
	CompareAndSwapSuccess   uint64 `json:"compareAndSwapSuccess"`
	CompareAndSwapFail      uint64 `json:"compareAndSwapFail"`
	CompareAndDeleteSuccess uint64 `json:"compareAndDeleteSuccess"`
	CompareAndDeleteFail    uint64 `json:"compareAndDeleteFail"`
	ExpireCount             uint64 `json:"expireCount"`
	Watchers                uint64 `json:"watchers"`
}

// statField indexes the counters of Stats in their wire order.
type statField int

const (
	statGetsSuccess statField = iota
	statGetsFail
	statSetsSuccess
	statSetsFail
	statDeleteSuccess
	statDeleteFail
	statUpdateSuccess
	statUpdateFail
	statCreateSuccess
	statCreateFail
	statCompareAndSwapSuccess
	statCompareAndSwapFail
	statCompareAndDeleteSuccess
	statCompareAndDeleteFail
	statExpireCount
	statWatchers // not a counter: taken from the hub
)

var statNames = [...]string{
	"getsSuccess", "getsFail", "setsSuccess", "setsFail", "deleteSuccess", "deleteFail",
	"updateSuccess", "updateFail", "createSuccess", "createFail",
	"compareAndSwapSuccess", "compareAndSwapFail", "compareAndDeleteSuccess",
	"compareAndDeleteFail", "expireCount", "watchers",
}

// counters are the live counters. Gets are counted under the read lock by concurrent
// readers, hence atomics.
type counters [statWatchers]atomic.Uint64

// opStats maps an operation to its success counter; the fail counter follows it.
var opStats = [...]statField{
	OpSet:              statSetsSuccess,
	OpCreate:           statCreateSuccess,
	OpUpdate:           statUpdateSuccess,
	OpCompareAndSwap:   statCompareAndSwapSuccess,
	OpDelete:           statDeleteSuccess,
	OpCompareAndDelete: statCompareAndDeleteSuccess,
}

func (c *counters) countOp(op Op, failed bool) {
	if op < OpSet || op >= OpExpire {
		return
	}
	f := opStats[op]
	if failed {
		f++
	}
	c[f].Add(1)
}

func (c *counters) snapshot(watchers uint64) Stats {
	var v [statWatchers + 1]uint64
	for i := range c {
		v[i] = c[i].Load()
	}
	v[statWatchers] = watchers
	return statsFromArray(v)
}

func statsFromArray(v [statWatchers + 1]uint64) Stats {
	return Stats{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]}
}

func (s *Stats) array() [statWatchers + 1]uint64 {
	return [...]uint64{
		s.GetsSuccess, s.GetsFail, s.SetsSuccess, s.SetsFail, s.DeleteSuccess, s.DeleteFail,
		s.UpdateSuccess, s.UpdateFail, s.CreateSuccess, s.CreateFail,
		s.CompareAndSwapSuccess, s.CompareAndSwapFail, s.CompareAndDeleteSuccess,
		s.CompareAndDeleteFail, s.ExpireCount, s.Watchers,
	}
}

// AppendJSON appends the /v2/stats/store body: the fields in SPEC §5 order, no trailing
// newline.
func (s *Stats) AppendJSON(buf []byte) []byte {
	for i, v := range s.array() {
		if i == 0 {
			buf = append(buf, '{')
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, statNames[i]...)
		buf = append(buf, `":`...)
		buf = strconv.AppendUint(buf, v, 10)
	}
	return append(buf, '}')
}
