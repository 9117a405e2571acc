package main

import (
	"strings"
	"testing"
	"time"
)

func TestPrintResponse(t *testing.T) {
	exp := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	file := &keysResponse{
		Action:   "set",
		Node:     &node{Key: "/a", Value: "v<&>", CreatedIndex: 7, ModifiedIndex: 8, Expiration: &exp, TTL: 10},
		PrevNode: &node{Key: "/a", Value: "old", CreatedIndex: 7, ModifiedIndex: 7},
		Index:    9,
	}
	del := &keysResponse{
		Action:   "delete",
		Node:     &node{Key: "/a", CreatedIndex: 7, ModifiedIndex: 9},
		PrevNode: &node{Key: "/a", Value: "v", CreatedIndex: 7, ModifiedIndex: 8},
		Index:    9,
	}
	cad := &keysResponse{Action: "compareAndDelete", Node: &node{Key: "/a"}, PrevNode: &node{Key: "/a", Value: "v"}}
	dir := &keysResponse{Action: "get", Node: &node{Key: "/d", Dir: true, Nodes: []*node{{Key: "/d/x", Value: "1", CreatedIndex: 2, ModifiedIndex: 2}}}, Index: 3}
	tests := []struct {
		name       string
		resp       *keysResponse
		format     string
		wantOut    string
		wantErrOut string
	}{
		{"simple", file, "simple", "v<&>\n", ""},
		{"simple delete shows the previous value", del, "simple", "PrevNode.Value: v\n", ""},
		{"simple compareAndDelete shows the value", cad, "simple", "\n", ""},
		{"extended", file, "extended", "Key: /a\nCreated-Index: 7\nModified-Index: 8\nPrevNode.Value: old\nTTL: 10\nIndex: 9\n\nv<&>\n", ""},
		{"extended delete has no value", del, "extended", "Key: /a\nCreated-Index: 7\nModified-Index: 9\nPrevNode.Value: v\nTTL: 0\nIndex: 9\n", ""},
		{"json field order", file, "json", `{"action":"set","node":{"key":"/a","value":"v\u003c\u0026\u003e","nodes":null,"createdIndex":7,"modifiedIndex":8,"expiration":"2026-01-02T03:04:05.6Z","ttl":10},"prevNode":{"key":"/a","value":"old","nodes":null,"createdIndex":7,"modifiedIndex":7}}` + "\n", ""},
		{"json directory", dir, "json", `{"action":"get","node":{"key":"/d","dir":true,"value":"","nodes":[{"key":"/d/x","value":"1","nodes":null,"createdIndex":2,"modifiedIndex":2}],"createdIndex":0,"modifiedIndex":0},"prevNode":null}` + "\n", ""},
		{"unknown format", file, "yaml", "", "Unsupported output format: yaml\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			printResponse(&out, &errOut, tt.resp, tt.format)
			if out.String() != tt.wantOut || errOut.String() != tt.wantErrOut {
				t.Errorf("printResponse(%s) = %q, %q, want %q, %q", tt.format, out.String(), errOut.String(), tt.wantOut, tt.wantErrOut)
			}
		})
	}
}

func TestSortNodes(t *testing.T) {
	n := &node{Key: "/", Nodes: []*node{
		{Key: "/b", Nodes: []*node{{Key: "/b/z"}, {Key: "/b/a"}}},
		{Key: "/a"},
	}}
	sortNodes(n)
	var keys []string
	var walk func(*node)
	walk = func(n *node) {
		for _, c := range n.Nodes {
			keys = append(keys, c.Key)
			walk(c)
		}
	}
	walk(n)
	if got, want := strings.Join(keys, " "), "/a /b /b/a /b/z"; got != want {
		t.Errorf("sorted keys = %q, want %q", got, want)
	}
}

func TestCommandError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"keys error", &keysError{Code: 100, Message: "Key not found", Cause: "/a", Index: 3}, "Error:  100: Key not found (/a) [3]\n"},
		{"cluster error", &clusterError{errs: []error{errEmptyBody, errInvalidJSON}},
			"Error:  client: etcd cluster is unavailable or misconfigured; error #0: client: response body is empty\n" +
				"; error #1: " + errInvalidJSON.Error() + "\n\n" +
				"error #0: client: response body is empty\nerror #1: " + errInvalidJSON.Error() + "\n\n"},
		{"plain", errKeyRequired, "Error:  key required\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w strings.Builder
			code := exitCode(&w, commandError(exitServerError, tt.err))
			if code != exitServerError || w.String() != tt.want {
				t.Errorf("commandError(%v) printed %q (exit %d), want %q (exit 4)", tt.err, w.String(), code, tt.want)
			}
		})
	}
}
