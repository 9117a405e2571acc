package transport

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
	etcdraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Raft is what the transport delivers to: our raft.Node.
type Raft interface {
	Process(ctx context.Context, m raftpb.Message) error
	IsRemoved(id uint64) bool
	ReportUnreachable(id uint64)
	ReportSnapshot(id uint64, status etcdraft.SnapshotStatus)
}

// Config configures a Transport.
type Config struct {
	ID        uint64 // this member
	ClusterID uint64
	Raft      Raft
	Logger    zerolog.Logger
	// TLS is the client configuration for https peer URLs (nil: plain http only).
	TLS *tls.Config
	// DialTimeout bounds connecting to a peer (default 1 s).
	DialTimeout time.Duration
	// OnRemoved is called when a peer answers that this member was removed from the
	// cluster (it was down when the removal committed and never applied it).
	OnRemoved func()
	// QueueSize is the per-peer queue of outgoing messages (default 4096).
	QueueSize int
}

// Transport sends raft messages to peers and receives theirs.
type Transport struct {
	cfg          Config
	lg           zerolog.Logger
	client       *http.Client // pipeline and snapshots (deadline per request)
	streamClient *http.Client // long-lived streams

	mu    sync.RWMutex
	peers map[uint64]*peer

	ctx    context.Context // ends at Stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Transport with no peers.
func New(cfg Config) *Transport {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = time.Second
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	rt := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     cfg.TLS,
		TLSHandshakeTimeout: cfg.DialTimeout,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Transport{
		cfg:          cfg,
		lg:           cfg.Logger.With().Str("component", "transport").Logger(),
		client:       &http.Client{Transport: rt},
		streamClient: &http.Client{Transport: rt.Clone()},
		peers:        map[uint64]*peer{},
		ctx:          ctx,
		cancel:       cancel,
	}
}

// Send queues messages for their peers. It never blocks: a full queue drops the message
// and tells raft the peer is unreachable (raft retries).
func (t *Transport) Send(msgs []raftpb.Message) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := range msgs {
		m := msgs[i]
		p, ok := t.peers[m.To]
		if !ok {
			t.lg.Debug().Str("peer_id", hexID(m.To)).Str("type", m.Type.String()).Msg("dropping message to unknown peer")
			continue
		}
		p.send(m)
	}
}

// AddPeer starts talking to member id at urls. Adding a known peer updates its URLs.
func (t *Transport) AddPeer(id uint64, urls []string) {
	if id == t.cfg.ID {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.peers[id]; ok {
		p.setURLs(urls)
		return
	}
	select {
	case <-t.ctx.Done():
		return
	default:
	}
	p := newPeer(t, id, urls)
	t.peers[id] = p
	p.start()
	t.lg.Info().Str("peer_id", hexID(id)).Strs("peer_urls", urls).Msg("added peer")
}

// RemovePeer stops talking to member id.
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	p, ok := t.peers[id]
	delete(t.peers, id)
	t.mu.Unlock()
	if ok {
		p.stop()
		t.lg.Info().Str("peer_id", hexID(id)).Msg("removed peer")
	}
}

// UpdatePeer replaces the URLs of member id.
func (t *Transport) UpdatePeer(id uint64, urls []string) {
	t.mu.RLock()
	p, ok := t.peers[id]
	t.mu.RUnlock()
	if ok {
		p.setURLs(urls)
		t.lg.Info().Str("peer_id", hexID(id)).Strs("peer_urls", urls).Msg("updated peer")
	}
}

// Active reports whether a stream from or to member id is connected now.
func (t *Transport) Active(id uint64) bool { return !t.ActiveSince(id).IsZero() }

// ActiveSince is when the current connection with member id came up (zero if none).
func (t *Transport) ActiveSince(id uint64) time.Time {
	t.mu.RLock()
	p, ok := t.peers[id]
	t.mu.RUnlock()
	if !ok {
		return time.Time{}
	}
	return p.activeSince()
}

// Stop ends every stream and waits for the transport's goroutines.
func (t *Transport) Stop() {
	t.cancel()
	t.mu.Lock()
	peers := t.peers
	t.peers = map[uint64]*peer{}
	t.mu.Unlock()
	for _, p := range peers {
		p.stop()
	}
	t.wg.Wait()
	t.client.CloseIdleConnections()
	t.streamClient.CloseIdleConnections()
}

func (t *Transport) peer(id uint64) (*peer, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	p, ok := t.peers[id]
	return p, ok
}

func hexID(id uint64) string { return strconv.FormatUint(id, 16) }
