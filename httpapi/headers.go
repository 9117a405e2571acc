package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/etcd2/etcd2/members"
)

// Header names in canonical form, so that they can be stored in the map directly.
const (
	hdrContentType   = "Content-Type"
	hdrContentLength = "Content-Length"
	hdrClusterID     = "X-Etcd-Cluster-Id"
	hdrEtcdIndex     = "X-Etcd-Index"
	hdrRaftIndex     = "X-Raft-Index"
	hdrRaftTerm      = "X-Raft-Term"
	hdrAllow         = "Allow"
)

const (
	contentJSON = "application/json"
	contentText = "text/plain; charset=utf-8"
)

// headers holds header values shared by every response: the slices are never modified
// after creation, so they can be put in any number of header maps.
type headers struct {
	json      []string
	text      []string
	clusterID atomic.Pointer[clusterIDHeader]
}

type clusterIDHeader struct {
	id    members.ID
	value []string
}

func newHeaders() *headers {
	return &headers{json: []string{contentJSON}, text: []string{contentText}}
}

// setClusterID sets X-Etcd-Cluster-Id, formatting the ID only when it changed.
func (hs *headers) setClusterID(h http.Header, id members.ID) {
	c := hs.clusterID.Load()
	if c == nil || c.id != id {
		c = &clusterIDHeader{id: id, value: []string{id.String()}}
		hs.clusterID.Store(c)
	}
	h[hdrClusterID] = c.value
}

// indexHeaders are the index headers of a keys response; the raft headers are left out
// when raft is false, and Content-Length when it is negative.
type indexHeaders struct {
	etcdIndex     uint64
	raft          bool
	raftIndex     uint64
	raftTerm      uint64
	contentLength int
}

// set writes the headers with two allocations in all: one string holding every number and
// one backing array for the value slices.
func (ih *indexHeaders) set(h http.Header) {
	var digits [4 * 20]byte
	b := strconv.AppendUint(digits[:0], ih.etcdIndex, 10)
	ends := [4]int{len(b)}
	if ih.raft {
		b = strconv.AppendUint(b, ih.raftIndex, 10)
		ends[1] = len(b)
		b = strconv.AppendUint(b, ih.raftTerm, 10)
		ends[2] = len(b)
	}
	if ih.contentLength >= 0 {
		b = strconv.AppendInt(b, int64(ih.contentLength), 10)
		ends[3] = len(b)
	}
	s := string(b)
	vals := make([]string, 4)
	vals[0] = s[:ends[0]]
	h[hdrEtcdIndex] = vals[0:1:1]
	if ih.raft {
		vals[1], vals[2] = s[ends[0]:ends[1]], s[ends[1]:ends[2]]
		h[hdrRaftIndex] = vals[1:2:2]
		h[hdrRaftTerm] = vals[2:3:3]
	}
	if ih.contentLength >= 0 {
		vals[3] = s[max(ends[0], ends[2]):ends[3]]
		h[hdrContentLength] = vals[3:4:4]
	}
}

// bufferPool recycles response buffers. Buffers that grew past maxPooledBuffer (a large
// listing) are left to the garbage collector rather than pinned in the pool.
type bufferPool struct{ p sync.Pool }

const maxPooledBuffer = 64 << 10

func (bp *bufferPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

func (bp *bufferPool) put(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	bp.p.Put(b)
}
