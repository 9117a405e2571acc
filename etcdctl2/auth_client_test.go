package main

import (
	"slices"
	"testing"
)

func TestDecodeUser(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantName  string
		wantRoles []string
		wantErr   bool
	}{
		{"role names", `{"user":"u","roles":["a","b"]}`, "u", []string{"a", "b"}, false},
		{"no roles", `{"user":"u","roles":null}`, "u", nil, false},
		// One empty word per role object, then the names: "Roles:  root".
		{"role objects", `{"user":"u","roles":[{"role":"root","permissions":{}}]}`, "u", []string{"", "root"}, false},
		{"two role objects", `{"user":"u","roles":[{"role":"a"},{"role":"b"}]}`, "u", []string{"", "", "a", "b"}, false},
		{"not json", `nope`, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := decodeUser([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeUser(%s) error = %v, want error %v", tt.body, err, tt.wantErr)
			}
			if err == nil && (u.name != tt.wantName || !slices.Equal(u.roles, tt.wantRoles)) {
				t.Errorf("decodeUser(%s) = %q, %q, want %q, %q", tt.body, u.name, u.roles, tt.wantName, tt.wantRoles)
			}
		})
	}
}

func TestParsePeerURLs(t *testing.T) {
	tests := []struct {
		in      []string
		want    []string
		wantErr string
	}{
		{[]string{"http://b:2", " http://a:1 "}, []string{"http://a:1", "http://b:2"}, ""},
		{[]string{"foo"}, nil, "URL scheme must be http, https, unix, or unixs: foo"},
		{[]string{"http://h"}, nil, `URL address does not have the form "host:port": http://h`},
		{[]string{"http://h:1/p"}, nil, "URL must not contain a path: http://h:1/p"},
		{nil, nil, "no valid URLs given"},
	}
	for _, tt := range tests {
		got, err := parsePeerURLs(tt.in)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if errText != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("parsePeerURLs(%q) = %q, %q, want %q, %q", tt.in, got, errText, tt.want, tt.wantErr)
		}
	}
}
