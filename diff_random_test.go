package main

// The seeded random differential test: 2 000 keys-API operations over a small tree, played
// step by step against both servers (see harness_test.go) and compared after
// normalization. The sequence is a pure function of the seed; a failure prints the seed
// and the step, and -diff.seed replays it.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

// diffSeed fixes the random sequence; 0 picks one from the clock (and prints it).
var diffSeed = flag.Uint64("diff.seed", 20261122, "differential tests: seed of the random sequence (0 = from the clock)")

// randomOps is the number of keys-API operations in the random sequence.
const randomOps = 2000

// TestDiffRandom plays the seeded random sequence against both servers.
func TestDiffRandom(t *testing.T) {
	requireReference(t)
	seed := *diffSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	steps := randomScript(seed, randomOps)
	t.Logf("seed %d (replay with -diff.seed=%d): %d steps", seed, seed, len(steps))
	withDiffPairs(t, func(t *testing.T, p diffPair) {
		start := time.Now()
		r := newDiffRunner(t, p)
		for _, st := range steps {
			r.run(st)
		}
		r.finish(start)
	})
}

// The tree: six directories, twenty keys (and one hidden), depth at most three. Operations
// pick among all of them, so they also hit the wrong kind of node (a set on a directory, a
// write below a key that replaced a directory, a delete of a directory without flags).
var (
	randomDirs = []string{"/a", "/a/x", "/a/y", "/b", "/b/z", "/c"}
	randomKeys = []string{
		"/a/k1", "/a/k2", "/a/k3", "/a/x/k4", "/a/x/k5", "/a/x/k6", "/a/y/k7", "/a/y/k8",
		"/b/k9", "/b/k10", "/b/z/k11", "/b/z/k12", "/b/z/k13", "/c/k14", "/c/k15", "/c/k16",
		"/k17", "/k18", "/a/y/k19", "/b/_h20",
	}
)

// TTLs and why the sequence does not flake. Expiry is the leader's business and happens
// at a different moment on each server (the reference sweeps every 500 ms, ours when a key
// is due), and every expiry consumes an index. If a key expired between two other writes,
// the servers would number everything after it differently, and a read near the expiry
// could see the key on one server and not on the other. So:
//   - short TTLs (0–3 s) only live under /t, written only in the tail of each round;
//     within a tail the writes with TTL ≥ 2 s and the reads of /t come first, then the
//     writes with ttl=1, then at most one ttl=0 write, so nothing is read or written after
//     a key might have expired;
//   - every round ends with a barrier: GET /t?recursive=true repeated on each server until
//     no expiration is left (await noexp), so all expiries happened, in the same order,
//     before the next write; the final listing is compared;
//   - TTLs elsewhere are long (100–1000 s) and never expire during the test; their ttl
//     and expiration are compared loosely.
const (
	randomRounds   = 8
	randomTailOps  = 14 // short-TTL operations at the end of each round
	randomQuietTTL = 3  // the longest short TTL, seconds
)

// randomGen builds the sequence; it remembers what it wrote so conditions are sometimes
// true: the step of the last write to each path ({#K} placeholders resolve to that step's
// result index on each server) and the value it wrote.
type randomGen struct {
	rng       *rand.Rand
	steps     []step
	ops       int
	lastWrite map[string][]int // path → steps that wrote it, oldest first
	lastValue map[string]string
}

// randomScript returns the sequence for seed: ops operations plus the barriers.
func randomScript(seed uint64, ops int) []step {
	g := &randomGen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		lastWrite: map[string][]int{}, lastValue: map[string]string{}}
	perRound := ops / randomRounds
	for round := range randomRounds {
		normal := perRound - randomTailOps
		if round == randomRounds-1 {
			normal = ops - g.ops - randomTailOps
		}
		for range normal {
			g.mainOp()
		}
		g.tail()
		g.add(step{kind: stepAwait, cond: "noexp", method: "GET", target: "/v2/keys/t?recursive=true&sorted=true"}, false)
	}
	g.add(step{method: "GET", target: "/v2/keys/?recursive=true&sorted=true"}, false)
	// The replicated counters, less those the reference miscounts (4_store_stats.txt).
	g.add(step{method: "GET", target: "/v2/stats/store", mask: []string{"getsSuccess", "getsFail",
		"setsFail", "deleteSuccess", "deleteFail", "updateSuccess", "updateFail", "createFail",
		"compareAndSwapSuccess", "compareAndSwapFail", "compareAndDeleteSuccess", "compareAndDeleteFail"}}, false)
	return g.steps
}

// add appends a step; op says whether it counts as one of the operations.
func (g *randomGen) add(st step, op bool) int {
	st.source = fmt.Sprintf("random step %d", len(g.steps))
	if op {
		g.ops++
		st.source += fmt.Sprintf(" (op %d)", g.ops)
	}
	g.steps = append(g.steps, st)
	return len(g.steps) - 1
}

// write appends a write to path and remembers it.
func (g *randomGen) write(method, path, query string, form url.Values) {
	st := step{method: method, target: "/v2/keys" + path + query}
	if form != nil {
		st.body, st.hasBody = form.Encode(), true
	}
	k := g.add(st, true)
	g.lastWrite[path] = append(g.lastWrite[path], k)
	if v, ok := form["value"]; ok && method == "PUT" {
		g.lastValue[path] = v[0]
	}
}

// read appends a GET.
func (g *randomGen) read(path, query string) {
	g.add(step{method: "GET", target: "/v2/keys" + path + query}, true)
}

// pick returns a random element.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// anyPath is a key most of the time, otherwise a directory.
func (g *randomGen) anyPath() string {
	if g.rng.IntN(4) == 0 {
		return pick(g.rng, randomDirs)
	}
	return pick(g.rng, randomKeys)
}

// value is a fresh value (never a number: compare causes print values and indexes alike).
func (g *randomGen) value() url.Values {
	return url.Values{"value": {fmt.Sprintf("v%d", len(g.steps))}}
}

// prevValue is usually the last value written to path, sometimes a wrong one.
func (g *randomGen) prevValue(path string) string {
	if v, ok := g.lastValue[path]; ok && g.rng.IntN(10) < 7 {
		return v
	}
	return fmt.Sprintf("v%d", g.rng.IntN(len(g.steps)+1))
}

// prevIndex is a placeholder for the result index of the last write to path (usually
// its modifiedIndex), sometimes of an older one.
func (g *randomGen) prevIndex(path string) string {
	w := g.lastWrite[path]
	if len(w) == 0 {
		return fmt.Sprintf("{base+%d}", 1+g.rng.IntN(len(g.steps)+1))
	}
	k := w[len(w)-1]
	if len(w) > 1 && g.rng.IntN(10) < 3 {
		k = w[g.rng.IntN(len(w)-1)]
	}
	return fmt.Sprintf("{#%d}", k)
}

// longTTL is a TTL that outlives the test.
func (g *randomGen) longTTL() string { return fmt.Sprint(100 + g.rng.IntN(900)) }

// mainOp appends one operation on the main tree.
func (g *randomGen) mainOp() {
	p := g.anyPath()
	v := g.value()
	switch n := g.rng.IntN(100); {
	case n < 16:
		g.write("PUT", p, "", v)
	case n < 20:
		v.Set("ttl", g.longTTL())
		g.write("PUT", p, "", v)
	case n < 27:
		g.write("PUT", p, "?prevExist=false", v)
	case n < 34:
		if g.rng.IntN(3) == 0 {
			v.Set("ttl", g.longTTL())
		}
		g.write("PUT", p, "?prevExist=true", v)
	case n < 41:
		g.write("PUT", p, "?prevValue="+url.QueryEscape(g.prevValue(p)), v)
	case n < 47:
		g.write("PUT", p, "?prevIndex="+g.prevIndex(p), v)
	case n < 49:
		g.write("PUT", p, "?prevValue="+url.QueryEscape(g.prevValue(p))+"&prevIndex="+g.prevIndex(p), v)
	case n < 52:
		g.write("DELETE", p, "?prevValue="+url.QueryEscape(g.prevValue(p)), nil)
	case n < 55:
		g.write("DELETE", p, "?prevIndex="+g.prevIndex(p), nil)
	case n < 60:
		g.write("DELETE", p, "", nil)
	case n < 63:
		g.write("DELETE", pick(g.rng, randomDirs), "?dir=true", nil)
	case n < 65:
		g.write("DELETE", pick(g.rng, randomDirs), "?recursive=true", nil)
	case n < 68:
		q := "?dir=true"
		if g.rng.IntN(2) == 0 {
			q += "&prevExist=false"
		}
		g.write("PUT", pick(g.rng, randomDirs), q, nil)
	case n < 72:
		g.write("POST", pick(g.rng, randomDirs), "", v)
	case n < 74:
		g.write("PUT", p, "?noValueOnSuccess=true", v)
	case n < 75:
		g.write(pick(g.rng, []string{"PUT", "DELETE"}), "/", "", v)
	case n < 83:
		g.read(pick(g.rng, randomKeys), "")
	case n < 91:
		g.read(pick(g.rng, randomDirs), pick(g.rng, []string{"", "?recursive=true", "?sorted=true", "?recursive=true&sorted=true"}))
	case n < 93:
		g.read(p, "?quorum=true")
	case n < 99:
		g.read("", pick(g.rng, []string{"?recursive=true", "?recursive=true&sorted=true", ""}))
	default:
		g.write("PUT", p, "?prevExist=true&refresh=true&ttl="+g.longTTL(), nil)
	}
}

// randomTTLKeys are the paths under /t, the only ones given short TTLs.
var randomTTLKeys = []string{"/t/k1", "/t/k2", "/t/k3", "/t/d/c1", "/t/d/c2"}

// tail appends the short-TTL operations of a round in the order explained above.
func (g *randomGen) tail() {
	early := randomTailOps - 3
	for range early {
		g.ttlOp(2 + g.rng.IntN(randomQuietTTL-1))
	}
	g.ttlWrite(1)
	g.ttlWrite(1)
	if g.rng.IntN(2) == 0 {
		g.ttlWrite(0)
	} else {
		g.ttlWrite(1)
	}
}

// ttlOp is a write with the given TTL or a read of /t.
func (g *randomGen) ttlOp(ttl int) {
	switch g.rng.IntN(5) {
	case 0:
		g.read(pick(g.rng, append([]string{"/t", "/t/d"}, randomTTLKeys...)), pick(g.rng, []string{"", "?recursive=true&sorted=true"}))
	default:
		g.ttlWrite(ttl)
	}
}

// ttlWrite is one write under /t carrying ttl.
func (g *randomGen) ttlWrite(ttl int) {
	p := pick(g.rng, randomTTLKeys)
	t := fmt.Sprint(ttl)
	v := g.value()
	v.Set("ttl", t)
	switch g.rng.IntN(9) {
	case 0, 1:
		g.write("PUT", p, "", v)
	case 2:
		g.write("PUT", p, "?prevExist=true", v)
	case 3:
		g.write("PUT", p, "?prevValue="+url.QueryEscape(g.prevValue(p)), v)
	case 4:
		g.write("PUT", p, "?refresh=true&ttl="+t, nil)
	case 5:
		g.write("PUT", p, "?refresh=true&prevExist=true&ttl="+t, nil)
	case 6:
		g.write("PUT", "/t/d", "?dir=true&ttl="+t, nil)
	case 7:
		g.write("PUT", "/t/d", "?dir=true&prevExist=true&ttl="+t, nil)
	default:
		g.write("POST", "/t/q", "", v)
	}
}

// TestRandomScriptIsDeterministic checks the sequence depends on the seed only and has the
// promised size and shape.
func TestRandomScriptIsDeterministic(t *testing.T) {
	a, b := randomScript(7, randomOps), randomScript(7, randomOps)
	if len(a) != len(b) {
		t.Fatalf("len = %d and %d for the same seed", len(a), len(b))
	}
	for i := range a {
		if a[i].describe() != b[i].describe() {
			t.Fatalf("step %d = %q and %q for the same seed", i, a[i].describe(), b[i].describe())
		}
	}
	ops, awaits := 0, 0
	for _, st := range a {
		switch {
		case st.kind == stepAwait:
			awaits++
		case strings.Contains(st.source, "(op "):
			ops++
		}
	}
	if ops != randomOps || awaits != randomRounds {
		t.Errorf("randomScript = %d operations and %d barriers, want %d and %d", ops, awaits, randomOps, randomRounds)
	}
	c := randomScript(8, randomOps)
	same := 0
	for i := range min(len(a), len(c)) {
		if a[i].describe() == c[i].describe() {
			same++
		}
	}
	if same == len(a) {
		t.Error("seeds 7 and 8 give the same sequence")
	}
}
