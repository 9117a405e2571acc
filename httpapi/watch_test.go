package httpapi

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcd2/etcd2/store"
)

// openWatch starts a watch request and returns once its headers have arrived, which shows
// that they were flushed before any event (SPEC §3.1). cancel ends the request.
func openWatch(t *testing.T, ta *testAPI, target string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", ta.http.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ta.client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", target, err)
	}
	t.Cleanup(func() {
		cancel()
		res.Body.Close()
	})
	return res, cancel
}

func watchers(ta *testAPI) uint64 { return ta.srv.st.Stats().Watchers }

func TestWatchOneShot(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "PUT", "/v2/keys/w?value=0", "")
	res, _ := openWatch(t, ta, "/v2/keys/w?wait=true")
	if res.StatusCode != 200 {
		t.Fatalf("watch status = %d, want 200", res.StatusCode)
	}
	checkKeyHeaders(t, "watch", response{status: res.StatusCode, header: res.Header}, "1")
	if te := res.TransferEncoding; len(te) != 1 || te[0] != "chunked" {
		t.Errorf("watch Transfer-Encoding = %v, want chunked", te)
	}
	waitFor(t, "the watcher", func() bool { return watchers(ta) == 1 })

	ta.do(t, "PUT", "/v2/keys/other?value=x", "")
	ta.do(t, "PUT", "/v2/keys/w?value=1", "")
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"set","node":{"key":"/w","value":"1","modifiedIndex":3,"createdIndex":3},"prevNode":{"key":"/w","value":"0","modifiedIndex":1,"createdIndex":1}}` + "\n"
	if string(body) != want {
		t.Errorf("watch body = %q, want %q", body, want)
	}
	waitFor(t, "the watcher to go", func() bool { return watchers(ta) == 0 })
}

func TestWatchStream(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "PUT", "/v2/keys/d/a?value=0", "") // index 1, replayed below
	res, _ := openWatch(t, ta, "/v2/keys/d?wait=true&recursive=true&stream=true&waitIndex=1")
	lines := bufio.NewReader(res.Body)
	readLine := func() string {
		t.Helper()
		l, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("reading stream: %v (got %q)", err, l)
		}
		return l
	}
	if got, want := readLine(), `{"action":"set","node":{"key":"/d/a","value":"0","modifiedIndex":1,"createdIndex":1}}`+"\n"; got != want {
		t.Errorf("replayed event = %q, want %q", got, want)
	}
	ta.do(t, "PUT", "/v2/keys/d/b?value=1", "")
	ta.do(t, "PUT", "/v2/keys/d/_hidden?value=h", "") // not delivered live (SPEC §2.7)
	ta.do(t, "DELETE", "/v2/keys/d/a", "")
	if got, want := readLine(), `{"action":"set","node":{"key":"/d/b","value":"1","modifiedIndex":2,"createdIndex":2}}`+"\n"; got != want {
		t.Errorf("second event = %q, want %q", got, want)
	}
	if got, want := readLine(), `{"action":"delete","node":{"key":"/d/a","modifiedIndex":4,"createdIndex":1},"prevNode":{"key":"/d/a","value":"0","modifiedIndex":1,"createdIndex":1}}`+"\n"; got != want {
		t.Errorf("third event = %q, want %q", got, want)
	}
	if n := watchers(ta); n != 1 {
		t.Errorf("watchers during the stream = %d, want 1", n)
	}
}

// TestWatchDisconnect checks that a client leaving removes its watcher at once, for
// one-shot and stream watches alike.
func TestWatchDisconnect(t *testing.T) {
	for _, target := range []string{"/v2/keys/x?wait=true", "/v2/keys/x?wait=true&stream=true&recursive=true"} {
		t.Run(target, func(t *testing.T) {
			ta := newTestAPI(t)
			_, cancel := openWatch(t, ta, target)
			waitFor(t, "the watcher", func() bool { return watchers(ta) == 1 })
			cancel()
			waitFor(t, "the watcher to be removed", func() bool { return watchers(ta) == 0 })
		})
	}
}

func TestWatchEndsOnDone(t *testing.T) {
	done := make(chan struct{})
	ta := newTestAPI(t, func(c *Config) { c.Done = done })
	res, _ := openWatch(t, ta, "/v2/keys/x?wait=true&stream=true")
	waitFor(t, "the watcher", func() bool { return watchers(ta) == 1 })
	close(done)
	body, err := io.ReadAll(res.Body)
	if err != nil || len(body) != 0 {
		t.Errorf("watch body after shutdown = %q, %v; want an empty, complete body", body, err)
	}
	waitFor(t, "the watcher to be removed", func() bool { return watchers(ta) == 0 })
}

func TestWatchHistoryCleared(t *testing.T) {
	ta := newTestAPIOn(t, newFakeServer(store.WithHistorySize(2)))
	for range 4 {
		ta.do(t, "PUT", "/v2/keys/k?value=v", "")
	}
	res := ta.do(t, "GET", "/v2/keys/k?wait=true&waitIndex=1", "")
	want := `{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [3/1]","index":4}` + "\n"
	if res.status != 400 || res.body != want {
		t.Fatalf("stale watch = %d %q, want 400 %q", res.status, res.body, want)
	}
	checkKeyHeaders(t, "stale watch", res, "4")
}

func TestWatchCountsRequests(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "PUT", "/v2/keys/k?value=v", "")
	ta.do(t, "GET", "/v2/keys/k?wait=true&waitIndex=1", "")
	ta.do(t, "GET", "/v2/keys/k?wait=true&waitIndex=1", "")
	res := ta.do(t, "GET", "/metrics", "")
	if !strings.Contains(res.body, "etcd_debugging_store_watch_requests_total 2\n") {
		t.Errorf("/metrics lacks etcd_debugging_store_watch_requests_total 2:\n%s", res.body)
	}
}

// blockingWriter is a ResponseWriter whose writes after the first wait for release, so a
// test can let a watcher's queue fill up.
type blockingWriter struct {
	header  http.Header
	mu      sync.Mutex
	body    strings.Builder
	writes  int
	writing chan struct{} // closed when the second write starts
	release chan struct{}
}

func (bw *blockingWriter) Header() http.Header { return bw.header }
func (bw *blockingWriter) WriteHeader(int)     {}
func (bw *blockingWriter) Flush()              {}

func (bw *blockingWriter) Write(p []byte) (int, error) {
	bw.mu.Lock()
	bw.writes++
	n := bw.writes
	bw.mu.Unlock()
	if n == 2 {
		close(bw.writing)
		<-bw.release
	}
	bw.mu.Lock()
	defer bw.mu.Unlock()
	return bw.body.Write(p)
}

// TestWatchOverflowEndsResponse fills a stream watcher's queue while the handler is stuck
// writing: the store ends the watcher and the response simply ends.
func TestWatchOverflowEndsResponse(t *testing.T) {
	ta := newTestAPIOn(t, newFakeServer(store.WithWatcherBuffer(1)))
	bw := &blockingWriter{header: http.Header{}, writing: make(chan struct{}), release: make(chan struct{})}
	req := httptest.NewRequestWithContext(t.Context(), "GET", "/v2/keys/k?wait=true&stream=true", nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ta.handler.ServeHTTP(bw, req)
	}()
	waitFor(t, "the watcher", func() bool { return watchers(ta) == 1 })
	ta.do(t, "PUT", "/v2/keys/k?value=1", "") // written at once
	waitFor(t, "the first event to be written", func() bool {
		bw.mu.Lock()
		defer bw.mu.Unlock()
		return bw.writes == 1
	})
	ta.do(t, "PUT", "/v2/keys/k?value=2", "") // taken by the handler, which blocks writing it
	select {
	case <-bw.writing:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never wrote the second event")
	}
	ta.do(t, "PUT", "/v2/keys/k?value=3", "") // fills the queue
	ta.do(t, "PUT", "/v2/keys/k?value=4", "") // overflows it
	if n := watchers(ta); n != 0 {
		t.Errorf("watchers after overflow = %d, want 0", n)
	}
	close(bw.release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not end after its watcher overflowed")
	}
	if got := strings.Count(bw.body.String(), "\n"); got != 3 {
		t.Errorf("events written = %d, want 3 (two, then the queued one)", got)
	}
}

// TestWatchMatching covers SPEC §10.7 and §10.10 over HTTP: a non-recursive watch on a
// directory ignores its children but gets the directory's own deletion, a watcher below a
// deleted directory gets the directory's event, and refreshes are invisible.
func TestWatchMatching(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "PUT", "/v2/keys/d/sub/leaf?value=1&ttl=100", "") // 1
	dirWatch, _ := openWatch(t, ta, "/v2/keys/d?wait=true")
	leafWatch, _ := openWatch(t, ta, "/v2/keys/d/sub/leaf?wait=true")
	waitFor(t, "two watchers", func() bool { return watchers(ta) == 2 })

	ta.do(t, "PUT", "/v2/keys/d/sub/leaf?refresh=true&ttl=200", "") // 2: invisible
	ta.do(t, "PUT", "/v2/keys/d/other?value=2", "")                 // 3: a child, not d itself
	ta.do(t, "DELETE", "/v2/keys/d?recursive=true", "")             // 4
	want := `{"action":"delete","node":{"key":"/d","dir":true,"modifiedIndex":4,"createdIndex":1},"prevNode":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}` + "\n"
	for name, res := range map[string]*http.Response{"directory": dirWatch, "leaf": leafWatch} {
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != want {
			t.Errorf("%s watcher got %q, want %q", name, body, want)
		}
	}
}

// TestWatchEndsOnRecovery checks that a watch whose watcher the store ends (recovery from a
// snapshot: error 400) simply ends: the status line is out already.
func TestWatchEndsOnRecovery(t *testing.T) {
	ta := newTestAPI(t)
	ta.do(t, "PUT", "/v2/keys/k?value=1", "")
	snap, err := ta.srv.st.Save()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := openWatch(t, ta, "/v2/keys/k?wait=true&stream=true")
	waitFor(t, "the watcher", func() bool { return watchers(ta) == 1 })
	if err := ta.srv.st.Recover(snap); err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil || len(body) != 0 {
		t.Errorf("watch body after recovery = %q, %v; want an empty, complete body", body, err)
	}
}
