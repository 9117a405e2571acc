package discovery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
)

// memTransport serves requests with an in-process handler, so that discovery runs
// inside a synctest bubble with no sockets. fail decides, per request number (from 1),
// whether the request fails in transport.
type memTransport struct {
	h    http.Handler
	mu   sync.Mutex
	n    int
	fail func(n int, r *http.Request) error
}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	m.mu.Lock()
	m.n++
	n := m.n
	m.mu.Unlock()
	if m.fail != nil {
		if err := m.fail(n, r); err != nil {
			return nil, err
		}
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

var errRefused = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

func TestBackoffOnUnavailableEndpoint(t *testing.T) {
	tests := []struct {
		name     string
		failures int // first requests that fail
		status   int // 0: transport error, else this status
		want     time.Duration
		wantLogs string // a log line that must appear
	}{
		{"one refusal", 1, 0, 2 * time.Second, `"reason":"cluster status check","backoff":2000`},
		{"four refusals", 4, 0, (2 + 4 + 8 + 16) * time.Second, `"backoff":16000`},
		{"503 answers", 2, http.StatusServiceUnavailable, 6 * time.Second, "has no leader"},
		{"502 answers", 1, http.StatusBadGateway, 2 * time.Second, "returns server error [Bad Gateway]"},
		// 2+4+…+256, then 256 s per retry: the exponent stops at 8.
		{"capped", 10, 0, (2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 + 256 + 256) * time.Second, `"backoff":256000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeKeys("/v2/keys")
				f.set(tokenDir+"/_config/size", "1")
				var logs strings.Builder
				var mu sync.Mutex
				tr := &memTransport{h: f, fail: func(n int, r *http.Request) error {
					if n > tt.failures {
						return nil
					}
					if tt.status == 0 {
						return errRefused
					}
					return nil
				}}
				if tt.status != 0 {
					f.intercept = func(*http.Request) (bool, int, string) {
						tr.mu.Lock()
						n := tr.n
						tr.mu.Unlock()
						return n <= tt.failures, tt.status, ""
					}
				}
				cfg := Config{URL: "http://disc.test/v2/keys" + tokenDir, Key: "self", Value: "me=http://127.0.0.1:1",
					Logger: zerolog.New(lockedWriter{&mu, &logs}), Transport: tr}
				start := time.Now()
				cluster, err := Join(t.Context(), cfg)
				if err != nil || cluster != "me=http://127.0.0.1:1" {
					t.Fatalf("Join = %q, %v", cluster, err)
				}
				if got := time.Since(start); got != tt.want {
					t.Errorf("Join took %v of backoff, want %v", got, tt.want)
				}
				mu.Lock()
				defer mu.Unlock()
				if !strings.Contains(logs.String(), tt.wantLogs) {
					t.Errorf("logs lack %q:\n%s", tt.wantLogs, logs.String())
				}
			})
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestWaitRecoversFromBrokenWatches: a watch that fails in transport is retried after a
// backoff, and one whose index left the history (401) is replaced at once, both from a
// fresh listing that keeps what was registered meanwhile.
func TestWaitRecoversFromBrokenWatches(t *testing.T) {
	tests := []struct {
		name   string
		status int // 0: transport error
		want   time.Duration
	}{
		{"refused watch", 0, 2 * time.Second},
		{"index cleared", http.StatusUnauthorized, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeKeys("/v2/keys")
				f.set(tokenDir+"/_config/size", "2")
				var once sync.Once
				broken := false
				isWatch := func(r *http.Request) bool { return r.URL.Query().Get("recursive") == "true" }
				tr := &memTransport{h: f, fail: func(_ int, r *http.Request) error {
					if tt.status == 0 && isWatch(r) && !broken {
						broken = true
						f.set(tokenDir+"/peer", "p=http://127.0.0.1:2") // registered while we were away
						return errRefused
					}
					return nil
				}}
				f.intercept = func(r *http.Request) (bool, int, string) {
					if tt.status == 0 || !isWatch(r) {
						return false, 0, ""
					}
					handled := false
					once.Do(func() {
						handled = true
						f.set(tokenDir+"/peer", "p=http://127.0.0.1:2")
					})
					if handled {
						return true, tt.status, `{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [5/2]","index":6}`
					}
					return false, 0, ""
				}
				cfg := Config{URL: "http://disc.test/v2/keys" + tokenDir, Key: "self", Value: "me=http://127.0.0.1:1",
					Logger: zerolog.New(zerolog.NewTestWriter(t)), Transport: tr}
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				start := time.Now()
				cluster, err := Join(ctx, cfg)
				if want := "me=http://127.0.0.1:1,p=http://127.0.0.1:2"; err != nil || cluster != want {
					t.Fatalf("Join = %q, %v; want %q", cluster, err, want)
				}
				if got := time.Since(start); got != tt.want {
					t.Errorf("Join took %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// TestJoinStopsWithItsContext: a member stopped while discovery waits (for a backoff or
// for peers) returns at once.
func TestJoinStopsWithItsContext(t *testing.T) {
	for _, unreachable := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeKeys("/v2/keys")
			f.set(tokenDir+"/_config/size", "3")
			tr := &memTransport{h: f, fail: func(int, *http.Request) error {
				if unreachable {
					return errRefused
				}
				return nil
			}}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				_, err := Join(ctx, Config{URL: "http://disc.test/v2/keys" + tokenDir, Key: "self", Value: "me=http://127.0.0.1:1",
					Logger: zerolog.New(zerolog.NewTestWriter(t)), Transport: tr})
				done <- err
			}()
			time.Sleep(time.Minute)
			synctest.Wait()
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("unreachable=%v: Join error = %v, want context.Canceled", unreachable, err)
			}
		})
	}
}
