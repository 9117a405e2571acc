package proxy

import (
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Clock tells the time for failure waits; tests pass a fake one advanced by hand.
type Clock interface {
	Now() time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// endpoint is one member client URL the proxy may forward to.
type endpoint struct {
	url url.URL
	// downUntil is zero while the endpoint is available; after a transport error it is
	// the instant the endpoint may be tried again. Guarded by director.mu.
	downUntil time.Time
}

// director keeps the endpoint list: its order (shuffled at every refresh, as the
// reference does so that proxies do not all stick to one member) and which endpoints
// are held unavailable after a failure.
type director struct {
	mu          sync.Mutex
	eps         []*endpoint
	failureWait time.Duration
	clock       Clock
	shuffle     func(n int, swap func(i, j int))
	lg          zerolog.Logger
}

// setURLs replaces the endpoint list with urls in a fresh random order and reports
// whether the set of URLs changed. Unparsable URLs are skipped. An endpoint that is
// still in its failure wait stays unavailable: the reference forgets failures at each
// refresh, which only costs a failed dial per dead member and refresh.
func (d *director) setURLs(urls []string) (changed bool) {
	eps := make([]*endpoint, 0, len(urls))
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" {
			d.lg.Warn().Str("url", raw).Msg("ignoring invalid upstream URL")
			continue
		}
		eps = append(eps, &endpoint{url: *u})
	}
	d.shuffle(len(eps), func(i, j int) { eps[i], eps[j] = eps[j], eps[i] })

	d.mu.Lock()
	defer d.mu.Unlock()
	old := make(map[string]*endpoint, len(d.eps))
	for _, ep := range d.eps {
		old[ep.url.String()] = ep
	}
	changed = len(old) != len(eps)
	for _, ep := range eps {
		prev, ok := old[ep.url.String()]
		if !ok {
			changed = true
			continue
		}
		ep.downUntil = prev.downUntil
	}
	d.eps = eps
	return changed
}

// available returns the endpoints that may be tried now, in order. Endpoints whose
// failure wait is over become available again here.
func (d *director) available() []*endpoint {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	out := make([]*endpoint, 0, len(d.eps))
	for _, ep := range d.eps {
		if !ep.downUntil.IsZero() {
			if now.Before(ep.downUntil) {
				continue
			}
			ep.downUntil = time.Time{}
			d.lg.Info().Str("endpoint", ep.url.String()).Msg("marked endpoint available, to retest connectivity")
		}
		out = append(out, ep)
	}
	return out
}

// failed holds ep unavailable for the failure wait. A second failure reported while
// the endpoint is already down (concurrent requests) does not extend the wait.
func (d *director) failed(ep *endpoint, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !ep.downUntil.IsZero() {
		return
	}
	ep.downUntil = d.clock.Now().Add(d.failureWait)
	d.lg.Warn().Str("endpoint", ep.url.String()).Err(err).Dur("failure_wait", d.failureWait).
		Msg("marked endpoint unavailable")
}

// urls returns every endpoint URL in order, available or not.
func (d *director) urls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, len(d.eps))
	for i, ep := range d.eps {
		out[i] = ep.url.String()
	}
	return out
}
