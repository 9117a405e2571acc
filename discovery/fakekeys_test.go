package discovery

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// fakeKeys is a small in-memory v2 keys API: flat directories of values, creation with
// prevExist=false, one-level listings, and watches over a complete event history. It
// serves keys below prefix (e.g. "/v2/keys").
type fakeKeys struct {
	prefix string

	mu       sync.Mutex
	index    uint64
	values   map[string]*fakeNode // leaf keys
	dirs     map[string]*fakeNode // directory keys
	history  []fakeEvent
	changed  chan struct{} // closed and replaced on every write
	requests []string      // "METHOD path?query", in arrival order
	// intercept, when set, may answer a request itself (faults, delays, races).
	intercept func(r *http.Request) (handled bool, status int, body string)
	// beforeCreate runs under no lock before a prevExist=false creation is applied.
	beforeCreate func(key string)
}

type fakeNode struct {
	key                         string
	value                       string
	dir                         bool
	createdIndex, modifiedIndex uint64
}

type fakeEvent struct {
	action string
	node   fakeNode
}

func newFakeKeys(prefix string) *fakeKeys {
	return &fakeKeys{
		prefix:  prefix,
		values:  map[string]*fakeNode{},
		dirs:    map[string]*fakeNode{"/": {key: "/", dir: true}},
		changed: make(chan struct{}),
	}
}

// serve starts the fake on a real listener and returns its base URL.
func (f *fakeKeys) serve(t interface {
	Cleanup(func())
}) string {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// set writes key=value as a plain set (like curl -XPUT), creating parent directories.
func (f *fakeKeys) set(key, value string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writeLocked("set", key, value)
}

func (f *fakeKeys) writeLocked(action, key, value string) uint64 {
	f.index++
	for d := path.Dir(key); ; d = path.Dir(d) {
		if _, ok := f.dirs[d]; !ok {
			f.dirs[d] = &fakeNode{key: d, dir: true, createdIndex: f.index, modifiedIndex: f.index}
		}
		if d == "/" {
			break
		}
	}
	n := &fakeNode{key: key, value: value, createdIndex: f.index, modifiedIndex: f.index}
	if old, ok := f.values[key]; ok && action != "create" {
		n.createdIndex = old.createdIndex
	}
	f.values[key] = n
	f.history = append(f.history, fakeEvent{action: action, node: *n})
	close(f.changed)
	f.changed = make(chan struct{})
	return f.index
}

func (f *fakeKeys) delete(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.values[key]
	if !ok {
		return
	}
	delete(f.values, key)
	f.index++
	f.history = append(f.history, fakeEvent{action: "delete", node: fakeNode{key: key, createdIndex: n.createdIndex, modifiedIndex: f.index}})
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeKeys) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	intercept := f.intercept
	f.mu.Unlock()
	if intercept != nil {
		if handled, status, body := intercept(r); handled {
			w.WriteHeader(status)
			fmt.Fprint(w, body)
			return
		}
	}
	if !strings.HasPrefix(r.URL.Path, f.prefix+"/") {
		http.NotFound(w, r)
		return
	}
	key := path.Clean("/" + strings.TrimPrefix(r.URL.Path, f.prefix))
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && q.Get("wait") == "true":
		f.watch(w, r, key)
	case r.Method == http.MethodGet:
		f.get(w, key)
	case r.Method == http.MethodPut:
		f.put(w, r, key)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *fakeKeys) errorLocked(w http.ResponseWriter, status, code int, msg, cause string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Etcd-Index", strconv.FormatUint(f.index, 10))
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errorCode":%d,"message":%q,"cause":%q,"index":%d}`+"\n", code, msg, cause, f.index)
}

func (f *fakeKeys) get(w http.ResponseWriter, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body map[string]any
	if n, ok := f.values[key]; ok {
		body = map[string]any{"action": "get", "node": n.json()}
	} else if d, ok := f.dirs[key]; ok {
		var children []map[string]any
		for _, c := range f.values {
			if path.Dir(c.key) == key {
				children = append(children, c.json())
			}
		}
		for _, c := range f.dirs {
			if c.key != "/" && path.Dir(c.key) == key {
				children = append(children, c.json())
			}
		}
		// Listings come in key order, as from etcd: the client must sort by index.
		slices.SortFunc(children, func(a, b map[string]any) int { return strings.Compare(a["key"].(string), b["key"].(string)) })
		dn := d.json()
		if len(children) > 0 {
			dn["nodes"] = children
		}
		body = map[string]any{"action": "get", "node": dn}
	} else {
		f.errorLocked(w, http.StatusNotFound, 100, "Key not found", key)
		return
	}
	writeJSON(w, http.StatusOK, f.index, body)
}

func (f *fakeKeys) put(w http.ResponseWriter, r *http.Request, key string) {
	value := r.FormValue("value")
	create := r.URL.Query().Get("prevExist") == "false"
	if create && f.beforeCreate != nil {
		f.beforeCreate(key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	action, status := "set", http.StatusOK
	if create {
		if _, ok := f.values[key]; ok {
			f.errorLocked(w, http.StatusPreconditionFailed, 105, "Key already exists", key)
			return
		}
		action, status = "create", http.StatusCreated
	}
	f.writeLocked(action, key, value)
	writeJSON(w, status, f.index, map[string]any{"action": action, "node": f.values[key].json()})
}

func (f *fakeKeys) watch(w http.ResponseWriter, r *http.Request, key string) {
	q := r.URL.Query()
	waitIndex, _ := strconv.ParseUint(q.Get("waitIndex"), 10, 64)
	recursive := q.Get("recursive") == "true"
	for {
		f.mu.Lock()
		for _, ev := range f.history {
			if ev.node.modifiedIndex < waitIndex {
				continue
			}
			if ev.node.key == key || (recursive && strings.HasPrefix(ev.node.key, strings.TrimSuffix(key, "/")+"/")) {
				idx := f.index
				f.mu.Unlock()
				writeJSON(w, http.StatusOK, idx, map[string]any{"action": ev.action, "node": ev.node.json()})
				return
			}
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
	}
}

func (n *fakeNode) json() map[string]any {
	m := map[string]any{"key": n.key, "modifiedIndex": n.modifiedIndex, "createdIndex": n.createdIndex}
	if n.dir {
		m["dir"] = true
	} else {
		m["value"] = n.value
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, index uint64, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Etcd-Index", strconv.FormatUint(index, 10))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
