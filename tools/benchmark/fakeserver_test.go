package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// fakeKeys is a minimal in-memory v2 keys endpoint: PUT with a form value, GET (404 for a
// missing key), GET ?wait=true for the next set of one key, and /version.
type fakeKeys struct {
	mu       sync.Mutex
	index    uint64
	values   map[string]string
	watchers map[string][]chan fakeEvent
	gets     int
	quorum   int
	puts     int
}

type fakeEvent struct {
	Action string   `json:"action"`
	Node   fakeNode `json:"node"`
}

type fakeNode struct {
	Key           string `json:"key"`
	Value         string `json:"value"`
	ModifiedIndex uint64 `json:"modifiedIndex"`
}

func newFakeKeys() *fakeKeys {
	return &fakeKeys{values: map[string]string{}, watchers: map[string][]chan fakeEvent{}}
}

func (f *fakeKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/version" {
		w.Write([]byte(`{"etcdserver":"fake"}`))
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/v2/keys")
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPut:
		f.put(w, r, key)
	case r.Method == http.MethodGet && r.URL.Query().Get("wait") == "true":
		f.watch(w, r, key)
	case r.Method == http.MethodGet:
		f.get(w, r, key)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *fakeKeys) put(w http.ResponseWriter, r *http.Request, key string) {
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.index++
	f.puts++
	_, existed := f.values[key]
	ev := fakeEvent{Action: "set", Node: fakeNode{Key: key, Value: r.PostForm.Get("value"), ModifiedIndex: f.index}}
	f.values[key] = ev.Node.Value
	for _, c := range f.watchers[key] {
		c <- ev // buffered, one event per watcher
	}
	delete(f.watchers, key)
	index := f.index
	f.mu.Unlock()
	w.Header().Set("X-Etcd-Index", strconv.FormatUint(index, 10))
	if !existed {
		w.WriteHeader(http.StatusCreated)
	}
	json.NewEncoder(w).Encode(ev)
}

func (f *fakeKeys) get(w http.ResponseWriter, r *http.Request, key string) {
	f.mu.Lock()
	f.gets++
	if r.URL.Query().Get("quorum") == "true" {
		f.quorum++
	}
	v, ok := f.values[key]
	index := f.index
	f.mu.Unlock()
	w.Header().Set("X-Etcd-Index", strconv.FormatUint(index, 10))
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"errorCode":100,"message":"Key not found"}`))
		return
	}
	json.NewEncoder(w).Encode(fakeEvent{Action: "get", Node: fakeNode{Key: key, Value: v}})
}

// watch registers, flushes the headers as etcd does, then waits for the next set.
func (f *fakeKeys) watch(w http.ResponseWriter, r *http.Request, key string) {
	c := make(chan fakeEvent, 1)
	f.mu.Lock()
	f.watchers[key] = append(f.watchers[key], c)
	index := f.index
	f.mu.Unlock()
	w.Header().Set("X-Etcd-Index", strconv.FormatUint(index, 10))
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	select {
	case ev := <-c:
		json.NewEncoder(w).Encode(ev)
	case <-r.Context().Done():
	}
}

func (f *fakeKeys) snapshot() (values map[string]string, gets, quorum, puts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	values = make(map[string]string, len(f.values))
	for k, v := range f.values {
		values[k] = v
	}
	return values, f.gets, f.quorum, f.puts
}

// fakeServerEnv makes the test binary a fake server on the address it names, so the
// restart scenario has a process to start; it holds /bench/0 from the start.
const fakeServerEnv = "BENCHMARK_FAKE_SERVER_ADDR"

func TestMain(m *testing.M) {
	if addr := os.Getenv(fakeServerEnv); addr != "" {
		os.Exit(serveFake(addr))
	}
	os.Exit(m.Run())
}

func serveFake(addr string) int {
	f := newFakeKeys()
	f.values["/bench/0"] = "v"
	srv := &http.Server{Addr: addr, Handler: f}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return 1
	}
	return 0
}
