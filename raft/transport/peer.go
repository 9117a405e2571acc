package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

const (
	maxBatch          = 256             // messages per stream write or pipeline post
	keepAliveInterval = time.Second     // empty frame on an idle stream
	streamIdleTimeout = 4 * time.Second // a stream with no frame for this long is dead
	pipelineTimeout   = 5 * time.Second
	backoffMin        = 50 * time.Millisecond
	backoffMax        = time.Second
)

// peer is one remote member: a queue of outgoing messages, the stream it may have opened
// to us (which we write to), and the stream we keep open to it (which we read from).
type peer struct {
	t  *Transport
	id uint64

	mu   sync.Mutex
	urls []string
	next int // URL to try next

	msgc    chan raftpb.Message
	snapc   chan raftpb.Message
	attachc chan *outStream

	outSince atomic.Int64 // unix nanos when the outgoing stream attached, 0 if none
	inSince  atomic.Int64 // unix nanos when our incoming stream connected, 0 if none

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newPeer(t *Transport, id uint64, urls []string) *peer {
	ctx, cancel := context.WithCancel(t.ctx)
	return &peer{
		t: t, id: id, urls: append([]string(nil), urls...),
		msgc:    make(chan raftpb.Message, t.cfg.QueueSize),
		snapc:   make(chan raftpb.Message, 1),
		attachc: make(chan *outStream),
		ctx:     ctx, cancel: cancel,
	}
}

func (p *peer) start() {
	p.wg.Add(3)
	go p.sendLoop()
	go p.readLoop()
	go p.snapLoop()
}

func (p *peer) stop() {
	p.cancel()
	p.wg.Wait()
}

func (p *peer) setURLs(urls []string) {
	p.mu.Lock()
	p.urls, p.next = append([]string(nil), urls...), 0
	p.mu.Unlock()
}

// url returns the peer URL to use; failed() moves to the next one.
func (p *peer) url() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.urls) == 0 {
		return ""
	}
	return p.urls[p.next%len(p.urls)]
}

func (p *peer) failed() {
	p.mu.Lock()
	p.next++
	p.mu.Unlock()
}

// activeSince is when our stream from the peer connected: we are hearing from it. A dead
// peer's stream ends at once on a closed connection, or after streamIdleTimeout on a
// silent one.
func (p *peer) activeSince() time.Time {
	if in := p.inSince.Load(); in != 0 {
		return time.Unix(0, in)
	}
	return time.Time{}
}

// send queues m without blocking.
func (p *peer) send(m raftpb.Message) {
	if m.Type == raftpb.MsgSnap {
		select {
		case p.snapc <- m:
		default:
			p.t.lg.Warn().Str("peer_id", hexID(p.id)).Msg("dropping snapshot: one is already being sent")
			p.t.cfg.Raft.ReportSnapshot(p.id, etcdraft.SnapshotFailure)
		}
		return
	}
	select {
	case p.msgc <- m:
	default:
		p.t.lg.Debug().Str("peer_id", hexID(p.id)).Str("type", m.Type.String()).Msg("dropping message: queue full")
		p.t.cfg.Raft.ReportUnreachable(p.id)
	}
}

// setHeaders marks a request as ours.
func (p *peer) setHeaders(req *http.Request) {
	req.Header.Set(headerCluster, hexID(p.t.cfg.ClusterID))
	req.Header.Set(headerFrom, hexID(p.t.cfg.ID))
}

// sendLoop writes queued messages to the peer's stream when it has one open to us, and
// posts them through the pipeline otherwise.
func (p *peer) sendLoop() {
	defer p.wg.Done()
	var out *outStream
	defer func() {
		if out != nil {
			out.close()
		}
		p.outSince.Store(0)
	}()
	keepAlive := time.NewTicker(keepAliveInterval)
	defer keepAlive.Stop()
	batch := make([]raftpb.Message, 0, maxBatch)
	var buf []byte
	for {
		batch = batch[:0]
		var outDone <-chan struct{}
		if out != nil {
			outDone = out.done
		}
		select {
		case <-outDone:
			// The peer closed its stream (its handler returned): use the pipeline until it
			// opens another.
			out = nil
			p.outSince.Store(0)
			continue
		case m := <-p.msgc:
			batch = append(batch, m)
		drain:
			for len(batch) < maxBatch {
				select {
				case m := <-p.msgc:
					batch = append(batch, m)
				default:
					break drain
				}
			}
		case s := <-p.attachc:
			if out != nil {
				out.close()
			}
			out = s
			p.outSince.Store(time.Now().UnixNano())
			continue
		case <-keepAlive.C:
			if out != nil && time.Since(out.idleSince()) >= keepAliveInterval {
				if err := out.write(appendKeepAlive(buf[:0])); err != nil {
					out.close()
					out = nil
					p.outSince.Store(0)
				}
			}
			continue
		case <-p.ctx.Done():
			return
		}
		var err error
		buf = buf[:0]
		for i := range batch {
			if buf, err = appendFrame(buf, &batch[i]); err != nil {
				p.t.lg.Error().Err(err).Msg("cannot encode message")
				return
			}
		}
		if out != nil {
			if err := out.write(buf); err == nil {
				continue
			}
			p.t.lg.Debug().Str("peer_id", hexID(p.id)).Msg("stream to peer broke; using the pipeline")
			out.close()
			out = nil
			p.outSince.Store(0)
		}
		if err := p.post(buf); err != nil {
			p.t.lg.Debug().Err(err).Str("peer_id", hexID(p.id)).Int("messages", len(batch)).Msg("cannot reach peer")
			p.t.cfg.Raft.ReportUnreachable(p.id)
			p.failed()
		}
	}
}

// post sends one batch of frames through the pipeline.
func (p *peer) post(body []byte) error {
	base := p.url()
	if base == "" {
		return fmt.Errorf("transport: peer %s has no URL", hexID(p.id))
	}
	ctx, cancel := context.WithTimeout(p.ctx, pipelineTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+pathMessage, bytes.NewReader(body))
	if err != nil {
		return err
	}
	p.setHeaders(req)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := p.t.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return p.t.checkStatus(resp, p.id)
}

// readLoop keeps a stream open to the peer and hands what it sends to raft.
func (p *peer) readLoop() {
	defer p.wg.Done()
	backoff := backoffMin
	for {
		start := time.Now()
		err := p.readStream()
		p.inSince.Store(0)
		if p.ctx.Err() != nil {
			return
		}
		if time.Since(start) > 5*time.Second {
			backoff = backoffMin // it worked for a while: retry promptly
		}
		p.t.lg.Debug().Err(err).Str("peer_id", hexID(p.id)).Msg("stream from peer ended")
		p.failed()
		t := time.NewTimer(jitter(backoff))
		select {
		case <-t.C:
		case <-p.ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, backoffMax)
	}
}

// readStream opens one stream and reads it until it ends.
func (p *peer) readStream() error {
	base := p.url()
	if base == "" {
		return fmt.Errorf("transport: peer %s has no URL", hexID(p.id))
	}
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+pathStream+hexID(p.t.cfg.ID), nil)
	if err != nil {
		return err
	}
	p.setHeaders(req)
	resp, err := p.t.streamClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := p.t.checkStatus(resp, p.id); err != nil {
		return err
	}
	p.inSince.Store(time.Now().UnixNano())

	// A stream that stays silent past the keep-alive interval is dead (a half-open TCP
	// connection never errors by itself).
	idle := time.AfterFunc(streamIdleTimeout, cancel)
	defer idle.Stop()
	var scratch []byte
	for {
		var m raftpb.Message
		ok, buf, err := readFrame(resp.Body, scratch, &m)
		scratch = buf
		if err != nil {
			return err
		}
		idle.Reset(streamIdleTimeout)
		if !ok {
			continue
		}
		if err := p.t.cfg.Raft.Process(ctx, m); err != nil {
			return err
		}
	}
}

// snapLoop sends snapshots, one at a time.
func (p *peer) snapLoop() {
	defer p.wg.Done()
	for {
		select {
		case m := <-p.snapc:
			status := etcdraft.SnapshotFinish
			if err := p.sendSnapshot(m); err != nil {
				p.t.lg.Warn().Err(err).Str("peer_id", hexID(p.id)).Msg("sending snapshot failed")
				status = etcdraft.SnapshotFailure
				p.t.cfg.Raft.ReportUnreachable(p.id)
			} else {
				p.t.lg.Info().Str("peer_id", hexID(p.id)).Uint64("index", m.Snapshot.Metadata.Index).
					Int("bytes", len(m.Snapshot.Data)).Msg("sent snapshot")
			}
			p.t.cfg.Raft.ReportSnapshot(p.id, status)
		case <-p.ctx.Done():
			return
		}
	}
}

// sendSnapshot posts m with its data streamed from the message's own slice.
func (p *peer) sendSnapshot(m raftpb.Message) error {
	base := p.url()
	if base == "" || m.Snapshot == nil {
		return fmt.Errorf("transport: cannot send snapshot to %s", hexID(p.id))
	}
	data := m.Snapshot.Data
	head := *m.Snapshot
	head.Data = nil
	hm := m
	hm.Snapshot = &head
	hdr, err := appendFrame(nil, &hm)
	if err != nil {
		return err
	}
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(len(data)))
	body := io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(data))
	// Big snapshots take a while on slow links: allow 30 s plus a second per 4 MiB.
	timeout := 30*time.Second + time.Duration(len(data)/(4<<20))*time.Second
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+pathSnapshot, body)
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(hdr) + len(data))
	p.setHeaders(req)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := p.t.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return p.t.checkStatus(resp, p.id)
}

// jitter spreads reconnects of many members over ±25%.
func jitter(d time.Duration) time.Duration {
	n := time.Now().UnixNano()
	return d*3/4 + time.Duration(n%int64(d/2+1))
}
