package discovery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Config describes one discovery: where the token lives and, to register, who we are.
type Config struct {
	// URL is the discovery URL (--discovery); its path is the token directory.
	URL string
	// Proxy is an HTTP proxy for the discovery requests (--discovery-proxy); a bare
	// host:port gets http:// prepended.
	Proxy string
	// Key is the registration key below the token, the member ID in hex. Join needs it.
	Key string
	// Value is the registration value, "name=peerURL[,name=peerURL…]" with the URLs
	// sorted. Join needs it.
	Value  string
	Logger zerolog.Logger
	// Transport replaces the default transport (tests). Proxy is ignored then.
	Transport http.RoundTripper
}

// Join registers this member under the token and waits until the token's size members
// have registered; it returns the initial cluster, "name=url,…", built from the first
// size registrations in creation order (SPEC §7.1).
//
// When this member is not among the first size registrations, Join returns
// ErrFullCluster together with the cluster of those first size members, so that the
// caller can become a proxy of it.
func Join(ctx context.Context, cfg Config) (string, error) {
	if cfg.Key == "" || cfg.Value == "" {
		return "", errors.New("discovery: Join needs a registration key and value")
	}
	d, err := newDiscoverer(cfg)
	if err != nil {
		return "", err
	}
	return d.join(ctx)
}

// GetCluster reads the cluster of a token without registering (a proxy's view, SPEC
// §7.1 point 11): it waits for size registrations, and returns the first size ones even
// when the token holds more.
func GetCluster(ctx context.Context, cfg Config) (string, error) {
	cfg.Key = "0" // a key that is never registered: the full check never matches it
	d, err := newDiscoverer(cfg)
	if err != nil {
		return "", err
	}
	return d.getCluster(ctx)
}

// discoverer runs the protocol for one token.
type discoverer struct {
	lg      zerolog.Logger
	url     string // endpoint, for logs
	token   string // the URL's path: the directory every key lives under
	dirKey  string // the token directory's key as the keys API names it (from a listing)
	selfKey string
	value   string
	kc      *keysClient
	retries uint
}

// maxRetries is the reference's limit, effectively never reached: discovery waits for a
// reachable endpoint as long as it takes.
const maxRetries = uint(1<<32 - 1)

// maxBackoffExponent caps the backoff at 2^8 s = 256 s.
const maxBackoffExponent = 8

func newDiscoverer(cfg Config) (*discoverer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	token := u.Path
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "", "", "", ""
	tr := cfg.Transport
	if tr == nil {
		proxy, err := proxyFunc(cfg.Proxy)
		if err != nil {
			return nil, err
		}
		if proxy != nil {
			cfg.Logger.Info().Str("proxy_url", cfg.Proxy).Msg("running proxy with discovery")
		}
		tr = &http.Transport{
			Proxy:               proxy,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
		}
	}
	return &discoverer{
		lg:      cfg.Logger.With().Str("component", "discovery").Logger(),
		url:     u.String(),
		token:   token,
		selfKey: path.Join("/", token, cfg.Key),
		value:   cfg.Value,
		kc:      &keysClient{endpoint: *u, hc: &http.Client{Transport: tr}},
	}, nil
}

// proxyFunc parses --discovery-proxy. Like the reference (and net/http's
// ProxyFromEnvironment) it accepts a bare host:port by prepending http://.
func proxyFunc(proxy string) (func(*http.Request) (*url.URL, error), error) {
	if proxy == "" {
		return nil, nil
	}
	u, err := url.Parse(proxy)
	if err != nil || !strings.HasPrefix(u.Scheme, "http") {
		u2, err2 := url.Parse("http://" + proxy)
		if err2 == nil {
			u, err = u2, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid proxy address %q: %v", proxy, err)
	}
	return http.ProxyURL(u), nil
}

func (d *discoverer) join(ctx context.Context) (string, error) {
	// Fast path: a full token needs no registration.
	if nodes, size, _, err := d.checkCluster(ctx); err != nil {
		if errors.Is(err, ErrFullCluster) {
			cluster, _ := nodesToCluster(nodes, size)
			return cluster, err
		}
		return "", err
	}
	if err := d.createSelf(ctx); err != nil {
		return "", err
	}
	// Others may have registered first: check again.
	nodes, size, index, err := d.checkCluster(ctx)
	if err != nil {
		if errors.Is(err, ErrFullCluster) {
			cluster, _ := nodesToCluster(nodes, size)
			return cluster, err
		}
		return "", err
	}
	all, err := d.waitNodes(ctx, nodes, size, index)
	if errors.Is(err, ErrFullCluster) {
		cluster, _ := nodesToCluster(all, size)
		return cluster, err
	}
	if err != nil {
		return "", err
	}
	return nodesToCluster(all, size)
}

func (d *discoverer) getCluster(ctx context.Context) (string, error) {
	nodes, size, index, err := d.checkCluster(ctx)
	if errors.Is(err, ErrFullCluster) {
		return nodesToCluster(nodes, size)
	}
	if err != nil {
		return "", err
	}
	all, err := d.waitNodes(ctx, nodes, size, index)
	if errors.Is(err, ErrFullCluster) {
		return nodesToCluster(all, size)
	}
	if err != nil {
		return "", err
	}
	return nodesToCluster(all, size)
}

// createSelf registers this member, then waits until the registration is visible on the
// endpoint (a watch from its own index returns at once once it is).
func (d *discoverer) createSelf(ctx context.Context) error {
	resp, err := d.kc.create(ctx, d.selfKey, d.value)
	if err != nil {
		if ke, ok := errors.AsType[*KeysError](err); ok && ke.Code == codeNodeExist {
			return ErrDuplicateID
		}
		return err
	}
	_, err = d.kc.watch(ctx, d.selfKey, resp.Node.CreatedIndex, false)
	return err
}

// checkCluster reads the size and the registrations, retrying while the endpoint is
// unavailable. It returns the registrations sorted by creation index, the size, and the
// X-Etcd-Index of the listing; ErrFullCluster (with the first size registrations) when
// this member is not among them while size others are.
func (d *discoverer) checkCluster(ctx context.Context) ([]*node, uint64, uint64, error) {
	for {
		nodes, size, index, err := d.checkClusterOnce(ctx)
		if _, ok := errors.AsType[*UnavailableError](err); !ok {
			return nodes, size, index, err
		}
		d.lg.Warn().Str("discovery_url", d.url).Err(err).Msg("failed to get from discovery server")
		if err := d.backoff(ctx, "cluster status check"); err != nil {
			return nil, 0, 0, err
		}
	}
}

func (d *discoverer) checkClusterOnce(ctx context.Context) ([]*node, uint64, uint64, error) {
	configKey := path.Join("/", d.token, "_config")
	resp, err := d.kc.get(ctx, path.Join(configKey, "size"))
	if err != nil {
		if ke, ok := errors.AsType[*KeysError](err); ok && ke.Code == codeKeyNotFound {
			d.lg.Warn().Str("discovery_url", d.url+configKey).
				Msg("the cluster doesn't have a size configuration value in the token's _config directory")
			return nil, 0, 0, sizeNotFoundError{ke}
		}
		if err == errInvalidJSON {
			return nil, 0, 0, ErrBadDiscoveryEndpoint
		}
		return nil, 0, 0, err
	}
	size, err := strconv.ParseUint(resp.Node.Value, 10, 0)
	// A size of 0 would wait for nobody and bootstrap an empty cluster (the reference
	// crashes on it): it is as bad as a non-number.
	if err != nil || size == 0 {
		return nil, 0, 0, ErrBadSizeKey
	}

	resp, err = d.kc.get(ctx, d.token)
	if err != nil {
		return nil, 0, 0, err
	}
	d.dirKey = resp.Node.Key
	var nodes []*node
	for _, n := range resp.Node.Nodes {
		// Registrations are values; the reference also takes directories, which could only
		// fail later as invalid URLs.
		if path.Base(n.Key) != "_config" && !n.Dir {
			nodes = append(nodes, n)
		}
	}
	slices.SortStableFunc(nodes, func(a, b *node) int { return cmp.Compare(a.CreatedIndex, b.CreatedIndex) })

	self := path.Base(d.selfKey)
	for i, n := range nodes {
		if path.Base(n.Key) == self {
			break
		}
		if uint64(i) >= size-1 {
			return nodes[:size], size, resp.Index, ErrFullCluster
		}
	}
	return nodes, size, resp.Index, nil
}

// waitNodes watches the token from index on until size registrations are known,
// starting from those already listed. An unavailable endpoint is retried after a
// backoff and a history window that moved past index (401) at once, both from a fresh
// listing.
func (d *discoverer) waitNodes(ctx context.Context, nodes []*node, size, index uint64) ([]*node, error) {
	for {
		all, err := d.waitNodesOnce(ctx, nodes, size, index)
		if _, ok := errors.AsType[*UnavailableError](err); ok {
			d.lg.Warn().Str("discovery_url", d.url).Err(err).Msg("failed to watch the discovery token")
			if err := d.backoff(ctx, "waiting for other nodes"); err != nil {
				return nil, err
			}
		} else if ke, ok := errors.AsType[*KeysError](err); ok && ke.Code == codeEventIndexCleared {
			// The reference gives up here; a fresh listing loses nothing.
			d.lg.Info().Str("discovery_url", d.url).Uint64("index", index).
				Msg("discovery watch fell behind the event history; listing again")
		} else if err == errTokenRemoved {
			d.lg.Warn().Str("discovery_url", d.url).Msg("discovery token or its size was removed while waiting")
		} else {
			return all, err
		}
		if nodes, size, index, err = d.checkCluster(ctx); err != nil {
			return nodes, err
		}
	}
}

func (d *discoverer) waitNodesOnce(ctx context.Context, nodes []*node, size, index uint64) ([]*node, error) {
	if uint64(len(nodes)) > size {
		nodes = nodes[:size]
	}
	all := slices.Clone(nodes)
	self := path.Base(d.selfKey)
	for _, n := range all {
		if path.Base(n.Key) == self {
			d.lg.Info().Str("discovery_url", d.url).Str("self", self).Msg("found self from discovery server")
		} else {
			d.lg.Info().Str("discovery_url", d.url).Str("peer", path.Base(n.Key)).Msg("found peer from discovery server")
		}
	}
	waitIndex := index + 1
	for uint64(len(all)) < size {
		d.lg.Info().Str("discovery_url", d.url).Int("found_peers", len(all)).
			Uint64("needed_peers", size-uint64(len(all))).Msg("found peers from discovery server; waiting for more")
		resp, err := d.kc.watch(ctx, d.token, waitIndex, true)
		if err != nil {
			return nil, err
		}
		waitIndex = resp.Node.ModifiedIndex + 1
		if d.isRemoval(resp) {
			return nil, errTokenRemoved
		}
		if !d.isRegistration(resp, all) {
			continue
		}
		d.lg.Info().Str("discovery_url", d.url).Str("peer", path.Base(resp.Node.Key)).Msg("found peer from discovery server")
		all = append(all, resp.Node)
	}
	d.lg.Info().Str("discovery_url", d.url).Int("found_peers", len(all)).Msg("found all needed peers from discovery server")
	return all, nil
}

// errTokenRemoved stops a wait whose token directory or size went away (deleted, or
// expired: the discovery service gives unfinished tokens a TTL). The fresh listing that
// follows reports the missing size as the reference would; the reference itself would
// count the removal as a member and wait on.
var errTokenRemoved = errors.New("discovery: token removed")

func (d *discoverer) isRemoval(resp *response) bool {
	switch resp.Action {
	case "delete", "expire", "compareAndDelete":
	default:
		return false
	}
	k := resp.Node.Key
	return k == d.dirKey || k == d.dirKey+"/_config" || strings.HasPrefix(k, d.dirKey+"/_config/")
}

// isRegistration tells new registrations from other events under the token. The
// reference counts every event; we skip deletions, expiries, changes below _config and
// rewrites of a registration already counted, which it would have miscounted as members.
func (d *discoverer) isRegistration(resp *response, known []*node) bool {
	switch resp.Action {
	case "delete", "expire", "compareAndDelete":
		return false
	}
	n := resp.Node
	// Keys are the keys API's names, not URL paths: compare with the listed directory.
	if n.Dir || path.Dir(n.Key) != d.dirKey || path.Base(n.Key) == "_config" {
		return false
	}
	for _, k := range known {
		if k.Key == n.Key {
			return false
		}
	}
	return true
}

// backoff sleeps 2^retries seconds, the exponent capped at maxBackoffExponent; retries
// count for the whole discovery, as in the reference.
func (d *discoverer) backoff(ctx context.Context, step string) error {
	if d.retries >= maxRetries {
		return ErrTooManyRetries
	}
	d.retries++
	exp := min(d.retries, maxBackoffExponent)
	wait := time.Duration(1<<exp) * time.Second
	d.lg.Info().Str("url", d.url).Str("reason", step).Dur("backoff", wait).Msg("retry connecting to discovery service")
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
