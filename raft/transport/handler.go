package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

const (
	headerCluster = "X-Etcd-Cluster-Id"
	headerFrom    = "X-Raft-From"

	pathStream   = "/raft/stream/"
	pathMessage  = "/raft/message"
	pathSnapshot = "/raft/snapshot"

	maxPipelineBody = 512 << 20
	maxSnapshotData = 8 << 30
)

// ErrRemoved is returned when a peer says this member was removed (HTTP 410).
var ErrRemoved = errors.New("transport: this member was removed from the cluster")

// Handler serves the peer side of the transport under /raft/.
func (t *Transport) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathStream+"{id}", t.serveStream)
	mux.HandleFunc("POST "+pathMessage, t.serveMessage)
	mux.HandleFunc("POST "+pathSnapshot, t.serveSnapshot)
	return mux
}

// checkRequest verifies a peer request and returns the sender's ID; on failure it has
// already answered.
func (t *Transport) checkRequest(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	cid, err := strconv.ParseUint(r.Header.Get(headerCluster), 16, 64)
	if err != nil || cid != t.cfg.ClusterID {
		t.lg.Warn().Str("remote", r.RemoteAddr).Str("remote_cluster_id", r.Header.Get(headerCluster)).
			Str("cluster_id", hexID(t.cfg.ClusterID)).Msg("refused request from a peer of another cluster")
		http.Error(w, fmt.Sprintf("cluster ID mismatch: local %s, remote %q", hexID(t.cfg.ClusterID), r.Header.Get(headerCluster)), http.StatusPreconditionFailed)
		return 0, false
	}
	from, err := strconv.ParseUint(r.Header.Get(headerFrom), 16, 64)
	if err != nil {
		http.Error(w, "missing or bad "+headerFrom, http.StatusBadRequest)
		return 0, false
	}
	if t.cfg.Raft.IsRemoved(from) {
		http.Error(w, "member removed", http.StatusGone)
		return 0, false
	}
	return from, true
}

// checkStatus turns a peer's answer into an error.
func (t *Transport) checkStatus(resp *http.Response, peer uint64) error {
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent:
		return nil
	case http.StatusGone:
		t.lg.Error().Str("peer_id", hexID(peer)).Msg("peer reports this member was removed from the cluster")
		if t.cfg.OnRemoved != nil {
			t.cfg.OnRemoved()
		}
		return ErrRemoved
	case http.StatusPreconditionFailed:
		t.lg.Warn().Str("peer_id", hexID(peer)).Msg("peer belongs to another cluster")
	}
	return fmt.Errorf("transport: peer %s answered %s", hexID(peer), resp.Status)
}

// outStream is a stream a peer opened to us: we write its messages into the response.
// The mutex orders writes against close, so no write reaches the ResponseWriter after its
// handler has returned.
type outStream struct {
	mu        sync.Mutex
	closed    bool
	w         *bufio.Writer
	flusher   http.Flusher
	rc        *http.ResponseController
	done      chan struct{} // closed by close: the handler may return
	lastWrite time.Time
}

var errStreamClosed = errors.New("transport: stream closed")

func (s *outStream) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStreamClosed
	}
	// A peer that stops reading must not wedge the send loop.
	s.rc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	s.flusher.Flush()
	s.lastWrite = time.Now()
	return nil
}

func (s *outStream) idleSince() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastWrite
}

func (s *outStream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

// serveStream hands the response to the sender of the peer in the path, which writes
// messages into it until either side gives up.
func (t *Transport) serveStream(w http.ResponseWriter, r *http.Request) {
	from, ok := t.checkRequest(w, r)
	if !ok {
		return
	}
	if id, err := strconv.ParseUint(r.PathValue("id"), 16, 64); err != nil || id != from {
		http.Error(w, "stream for another member", http.StatusBadRequest)
		return
	}
	p, ok := t.peer(from)
	if !ok {
		// Not a member yet as far as we know (its conf change may not have reached us).
		http.Error(w, "unknown member", http.StatusNotFound)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	s := &outStream{w: bufio.NewWriterSize(w, 32<<10), flusher: flusher, done: make(chan struct{}),
		lastWrite: time.Now(), rc: http.NewResponseController(w)}
	select {
	case p.attachc <- s:
	case <-r.Context().Done():
		return
	case <-p.ctx.Done():
		return
	}
	select {
	case <-s.done:
	case <-r.Context().Done():
		s.close()
	}
}

// serveMessage reads a pipeline batch.
func (t *Transport) serveMessage(w http.ResponseWriter, r *http.Request) {
	if _, ok := t.checkRequest(w, r); !ok {
		return
	}
	body := io.LimitReader(r.Body, maxPipelineBody)
	var scratch []byte
	for {
		var m raftpb.Message
		ok, buf, err := readFrame(body, scratch, &m)
		scratch = buf
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !ok {
			continue
		}
		if err := t.cfg.Raft.Process(r.Context(), m); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveSnapshot reads a snapshot message and its data into one buffer.
func (t *Transport) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	from, ok := t.checkRequest(w, r)
	if !ok {
		return
	}
	var m raftpb.Message
	ok, _, err := readFrame(r.Body, nil, &m)
	if err == nil && (!ok || m.Type != raftpb.MsgSnap || m.Snapshot == nil) {
		err = errors.New("not a snapshot message")
	}
	if err != nil {
		http.Error(w, "bad snapshot: "+err.Error(), http.StatusBadRequest)
		return
	}
	var n [8]byte
	if _, err := io.ReadFull(r.Body, n[:]); err != nil {
		http.Error(w, "bad snapshot: "+err.Error(), http.StatusBadRequest)
		return
	}
	size := binary.BigEndian.Uint64(n[:])
	if size > maxSnapshotData {
		http.Error(w, fmt.Sprintf("snapshot of %d bytes is too large", size), http.StatusRequestEntityTooLarge)
		return
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r.Body, data); err != nil {
		http.Error(w, "bad snapshot: "+err.Error(), http.StatusBadRequest)
		return
	}
	m.Snapshot.Data = data
	t.lg.Info().Str("peer_id", hexID(from)).Uint64("index", m.Snapshot.Metadata.Index).
		Uint64("bytes", size).Msg("received snapshot")
	if err := t.cfg.Raft.Process(r.Context(), m); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
