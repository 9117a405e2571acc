package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Output formats of --output (SPEC 9.2).
const (
	formatSimple   = "simple"
	formatExtended = "extended"
	formatJSON     = "json"
)

// printResponse prints a keys response in format. An unknown format prints a complaint
// on stderr and nothing else; the command still succeeds, as in the reference.
func printResponse(stdout, stderr io.Writer, r *keysResponse, format string) {
	switch format {
	case formatSimple:
		// Only the action "delete" shows the previous value; compareAndDelete and
		// expire print the (empty) value like any other action.
		if r.Action != "delete" {
			fmt.Fprintln(stdout, r.Node.Value)
		} else {
			fmt.Fprintln(stdout, "PrevNode.Value:", prevValue(r))
		}
	case formatExtended:
		var b strings.Builder
		fmt.Fprintln(&b, "Key:", r.Node.Key)
		fmt.Fprintln(&b, "Created-Index:", r.Node.CreatedIndex)
		fmt.Fprintln(&b, "Modified-Index:", r.Node.ModifiedIndex)
		if r.PrevNode != nil {
			fmt.Fprintln(&b, "PrevNode.Value:", r.PrevNode.Value)
		}
		fmt.Fprintln(&b, "TTL:", r.Node.TTL)
		fmt.Fprintln(&b, "Index:", r.Index)
		if r.Action != "delete" {
			fmt.Fprintln(&b)
			fmt.Fprintln(&b, r.Node.Value)
		}
		io.WriteString(stdout, b.String())
	case formatJSON:
		b, err := json.Marshal(r)
		if err != nil {
			// Only unencodable values fail, and a decoded response has none.
			panic(err)
		}
		fmt.Fprintln(stdout, string(b))
	default:
		fmt.Fprintln(stderr, "Unsupported output format:", format)
	}
}

// prevValue is the previous node's value; a delete without one (which no server sends)
// prints it empty instead of crashing like the reference.
func prevValue(r *keysResponse) string {
	if r.PrevNode == nil {
		return ""
	}
	return r.PrevNode.Value
}

// sortNodes orders a listing by key, recursively. [OURS] The reference prints children
// in the server's order, which is random without --sort (SPEC 9.4); a sorted order is
// one of those orders and makes output stable.
func sortNodes(n *node) {
	if n == nil {
		return
	}
	slices.SortFunc(n.Nodes, func(a, b *node) int { return strings.Compare(a.Key, b.Key) })
	for _, c := range n.Nodes {
		sortNodes(c)
	}
}
