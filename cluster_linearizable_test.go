package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// kvInput is one client operation on one key.
type kvInput struct {
	op    string // "get" (quorum), "set", "cas"
	key   string
	value string
	prev  string // cas condition
}

// kvOutput is what the client saw. unknown marks a write whose outcome the client could
// not learn (timeout, connection lost): it may or may not have happened.
type kvOutput struct {
	value   string
	exists  bool
	ok      bool
	unknown bool
}

// kvModel is a register per key; a missing key is "" with exists=false.
type kvState struct {
	value  string
	exists bool
}

var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(kvInput).key
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range by {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return kvState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(kvState), input.(kvInput), output.(kvOutput)
		switch in.op {
		case "get":
			return out.exists == s.exists && (!s.exists || out.value == s.value), s
		case "set":
			return true, kvState{value: in.value, exists: true}
		case "cas":
			matches := s.exists && s.value == in.prev
			if out.unknown {
				if matches {
					return true, kvState{value: in.value, exists: true}
				}
				return true, s
			}
			if out.ok {
				return matches, kvState{value: in.value, exists: true}
			}
			return !matches, s
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		return fmt.Sprintf("%s(%s,%s,%s) -> %+v", in.op, in.key, in.value, in.prev, out)
	},
}

// TestClusterLinearizable runs 5 clients doing sets, compare-and-swaps and quorum reads on
// a few keys through all members while the leader is killed and restarted twice, and
// checks the history with porcupine.
func TestClusterLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	c := newCluster(t, ourBinary(t), 3)
	c.startAll()
	start := time.Now()
	var mu sync.Mutex
	var history []porcupine.Operation
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 3 * time.Second}
	for id := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(id), 7))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				m := c.members[rng.IntN(3)]
				in := kvInput{key: fmt.Sprintf("/lin/k%d", rng.IntN(3)), value: fmt.Sprintf("c%d-%d", id, n)}
				switch r := rng.IntN(10); {
				case r < 4:
					in.op = "get"
				case r < 7:
					in.op = "set"
				default:
					in.op = "cas"
					in.prev = fmt.Sprintf("c%d-%d", rng.IntN(5), rng.IntN(max(n, 1)))
				}
				call := time.Since(start).Nanoseconds()
				out, keep := linOp(client, m.clientURL, in)
				ret := time.Since(start).Nanoseconds()
				if !keep {
					continue // a failed read tells nothing
				}
				if out.unknown {
					ret = 1 << 62 // may take effect at any later time
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: id, Input: in, Call: call, Output: out, Return: ret})
				mu.Unlock()
			}
		}()
	}
	recorded := func() int { mu.Lock(); defer mu.Unlock(); return len(history) }
	moreOps := func(n int) {
		want := recorded() + n
		waitCond(t, 60*time.Second, "client operations", func() bool { return recorded() >= want })
	}
	for range 2 {
		moreOps(500)
		l := c.leader()
		c.members[l].kill()
		c.leader(l)
		moreOps(300) // operations while the old leader is down
		c.members[l].startReady()
	}
	moreOps(300)
	close(stop)
	wg.Wait()
	t.Logf("%d operations recorded", len(history))
	if len(history) < 200 {
		t.Fatalf("only %d operations: the load did not run", len(history))
	}
	switch res := porcupine.CheckOperationsTimeout(kvModel, history, 60*time.Second); res {
	case porcupine.Ok:
	case porcupine.Unknown:
		t.Logf("linearizability check timed out (inconclusive)")
	default:
		t.Errorf("history is not linearizable: %s", res)
	}
}

// linOp performs one operation; keep is false when the result says nothing.
func linOp(client *http.Client, base string, in kvInput) (out kvOutput, keep bool) {
	var req *http.Request
	switch in.op {
	case "get":
		req, _ = http.NewRequest("GET", base+"/v2/keys"+in.key+"?quorum=true", nil)
	case "set":
		req, _ = http.NewRequest("PUT", base+"/v2/keys"+in.key, strings.NewReader("value="+in.value))
	case "cas":
		req, _ = http.NewRequest("PUT", base+"/v2/keys"+in.key+"?prevValue="+url.QueryEscape(in.prev), strings.NewReader("value="+in.value))
	}
	if in.op != "get" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := client.Do(req)
	if err != nil {
		return kvOutput{unknown: true}, in.op != "get"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct {
		ErrorCode int
		Node      struct{ Value string }
	}
	json.Unmarshal(b, &body)
	switch {
	case in.op == "get" && resp.StatusCode == 200:
		return kvOutput{value: body.Node.Value, exists: true}, true
	case in.op == "get" && body.ErrorCode == 100:
		return kvOutput{}, true
	case in.op == "get":
		return kvOutput{}, false
	case resp.StatusCode == 200 || resp.StatusCode == 201:
		return kvOutput{ok: true}, true
	case in.op == "cas" && (body.ErrorCode == 100 || body.ErrorCode == 101):
		return kvOutput{ok: false}, true
	default:
		return kvOutput{unknown: true}, true // 300 timeouts and the like
	}
}

// TestKVModelRejectsIllegalHistories makes sure the checker can fail.
func TestKVModelRejectsIllegalHistories(t *testing.T) {
	set := func(call, ret int64, v string) porcupine.Operation {
		return porcupine.Operation{Input: kvInput{op: "set", key: "k", value: v}, Call: call, Output: kvOutput{ok: true}, Return: ret}
	}
	get := func(call, ret int64, v string) porcupine.Operation {
		return porcupine.Operation{Input: kvInput{op: "get", key: "k"}, Call: call, Output: kvOutput{value: v, exists: true}, Return: ret}
	}
	stale := []porcupine.Operation{set(0, 10, "a"), set(20, 30, "b"), get(40, 50, "a")}
	if porcupine.CheckOperations(kvModel, stale) {
		t.Error("a stale read was accepted")
	}
	fine := []porcupine.Operation{set(0, 10, "a"), set(20, 30, "b"), get(25, 50, "a")}
	if !porcupine.CheckOperations(kvModel, fine) {
		t.Error("a read concurrent with a write was rejected")
	}
}
