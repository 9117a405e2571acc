package proxy

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
)

// TestRunRefreshSchedule checks when the endpoint list is asked for: every refresh
// interval, but every second while no endpoint is available.
func TestRunRefreshSchedule(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		answers  [][]string // what successive URLs calls return; the last one repeats
		wantGaps []time.Duration
	}{
		{"healthy cluster", 30 * time.Second, [][]string{{"http://a:1"}}, []time.Duration{30 * time.Second, 30 * time.Second}},
		{"unreachable then found", 30 * time.Second, [][]string{nil, nil, {"http://a:1"}}, []time.Duration{time.Second, time.Second, 30 * time.Second}},
		{"short interval kept", 200 * time.Millisecond, [][]string{nil}, []time.Duration{200 * time.Millisecond, 200 * time.Millisecond}},
		{"medium interval shortened while empty", 10 * time.Second, [][]string{nil, {"http://a:1"}}, []time.Duration{time.Second, 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var calls []time.Time
				p, err := New(Config{
					Transport: http.DefaultTransport,
					URLs: func(context.Context) []string {
						mu.Lock()
						defer mu.Unlock()
						calls = append(calls, time.Now())
						return tt.answers[min(len(calls)-1, len(tt.answers)-1)]
					},
					RefreshInterval: tt.interval,
					Logger:          zerolog.New(zerolog.NewTestWriter(t)),
					Shuffle:         noShuffle,
				})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				p.Refresh(ctx)
				done := make(chan error)
				go func() { done <- p.Run(ctx) }()
				ncalls := func() int { mu.Lock(); defer mu.Unlock(); return len(calls) }
				for ncalls() <= len(tt.wantGaps) {
					time.Sleep(tt.interval / 4) // fake time inside the bubble
					synctest.Wait()
				}
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run = %v, want nil after cancel", err)
				}
				mu.Lock()
				defer mu.Unlock()
				var gaps []time.Duration
				for i := 1; i < len(calls) && i <= len(tt.wantGaps); i++ {
					gaps = append(gaps, calls[i].Sub(calls[i-1]))
				}
				if !slices.Equal(gaps, tt.wantGaps) {
					t.Errorf("refresh gaps = %v, want %v", gaps, tt.wantGaps)
				}
			})
		})
	}
}

func TestClusterFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster")
	if _, err := ReadClusterFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadClusterFile(missing) = %v, want fs.ErrNotExist", err)
	}
	want := []string{"http://127.0.0.1:2380", "https://10.0.0.2:2380"}
	if err := WriteClusterFile(path, want); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	// The reference's format, so that either binary can restart the other's proxy.
	if string(b) != `{"PeerURLs":["http://127.0.0.1:2380","https://10.0.0.2:2380"]}` {
		t.Errorf("file = %s", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(path + ".bak"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	got, err := ReadClusterFile(path)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ReadClusterFile = %q, %v; want %q", got, err, want)
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := ReadClusterFile(path); err == nil {
		t.Error("ReadClusterFile(garbage) succeeded, want an error")
	}
}

// TestTransportReadTimeout: a read timeout cuts an answer that stays quiet longer; no
// read timeout lets it wait (watches).
func TestTransportReadTimeout(t *testing.T) {
	tests := []struct {
		name    string
		read    time.Duration
		wantErr bool
	}{
		{"read timeout", 50 * time.Millisecond, true},
		{"no read timeout", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srvConn, cliConn := net.Pipe()
				tr := NewTransport(nil, time.Second, tt.read, time.Second)
				tr.DialContext = wrapDial(cliConn, tt.read, time.Second)
				served := make(chan struct{})
				go func() {
					defer close(served)
					// A member that answers only after 200ms.
					buf := make([]byte, 4096)
					srvConn.Read(buf)
					time.Sleep(200 * time.Millisecond)
					srvConn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
				}()
				req, _ := http.NewRequest("GET", "http://member/v2/keys/w?wait=true", nil)
				resp, err := tr.RoundTrip(req)
				if err == nil {
					resp.Body.Close()
				}
				if (err != nil) != tt.wantErr {
					t.Errorf("RoundTrip error = %v, want error %v", err, tt.wantErr)
				}
				tr.CloseIdleConnections()
				<-served
				srvConn.Close()
			})
		})
	}
}

// wrapDial hands out conn once, wrapped like NewTransport's connections.
func wrapDial(conn net.Conn, read, write time.Duration) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) {
		return &deadlineConn{Conn: conn, read: read, write: write}, nil
	}
}
