package main

import (
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestReorderArgs(t *testing.T) {
	flags := []cli.Flag{
		&cli.IntFlag{Name: "ttl"},
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}},
		&cli.StringFlag{Name: "with-value"},
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no flags", []string{"k", "v"}, []string{"k", "v"}},
		{"flag after args", []string{"k", "v", "--ttl", "5"}, []string{"--ttl", "5", "k", "v"}},
		{"flag with equals", []string{"k", "--ttl=5", "v"}, []string{"--ttl=5", "k", "v"}},
		{"bool takes the next argument along", []string{"-r", "k"}, []string{"-r", "k"}},
		{"unknown flag stays", []string{"k", "-x"}, []string{"k", "-x"}},
		{"dash dash moves to the front", []string{"k", "--", "-v"}, []string{"--", "k", "-v"}},
		{"dash dash first", []string{"--", "k", "-v"}, []string{"--", "k", "-v"}},
		{"dash dash as a value", []string{"--with-value", "--", "k"}, []string{"--with-value", "--", "k"}},
		{"flags before dash dash only", []string{"k", "--ttl", "5", "--", "--ttl"}, []string{"--ttl", "5", "--", "k", "--ttl"}},
		{"single dash is an argument", []string{"-", "--ttl", "1"}, []string{"--ttl", "1", "-"}},
		{"empty", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reorderArgs(flags, tt.args); !slices.Equal(got, tt.want) {
				t.Errorf("reorderArgs(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestReorderExecWatchArgs(t *testing.T) {
	flags := []cli.Flag{&cli.IntFlag{Name: "after-index"}, &cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}}}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"key then command", []string{"/k", "--", "sh", "-c", "x"}, []string{"/k", "--", "sh", "-c", "x"}},
		{"flag then key then command", []string{"--after-index", "3", "/k", "--", "echo"}, []string{"--after-index", "3", "/k", "--", "echo"}},
		{"dash dash first", []string{"--", "/k", "echo"}, []string{"--", "/k", "echo"}},
		{"legacy layout", []string{"echo", "hi", "/k", "-r"}, []string{"-r", "echo", "hi", "/k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reorderExecWatchArgs(flags, tt.args); !slices.Equal(got, tt.want) {
				t.Errorf("reorderExecWatchArgs(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestPrepareArgs(t *testing.T) {
	app := newApp(&system{})
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"command flags", []string{"etcdctl", "-o", "json", "set", "k", "v", "--ttl", "5"}, []string{"etcdctl", "-o", "json", "set", "--ttl", "5", "k", "v"}},
		{"global value flag with equals", []string{"etcdctl", "--endpoints=x", "ls", "/", "-r"}, []string{"etcdctl", "--endpoints=x", "ls", "-r", "/"}},
		{"global bool flag", []string{"etcdctl", "--debug", "rm", "k", "--dir"}, []string{"etcdctl", "--debug", "rm", "--dir", "k"}},
		{"subcommand", []string{"etcdctl", "user", "grant", "u", "--roles", "r"}, []string{"etcdctl", "user", "grant", "--roles", "r", "u"}},
		{"group flag before subcommand", []string{"etcdctl", "role", "-h", "grant", "r", "--rw"}, []string{"etcdctl", "role", "-h", "grant", "--rw", "r"}},
		{"exec-watch keeps its delimiter", []string{"etcdctl", "exec-watch", "/k", "--", "ls"}, []string{"etcdctl", "exec-watch", "/k", "--", "ls"}},
		{"other commands move it", []string{"etcdctl", "watch", "/k", "--", "x"}, []string{"etcdctl", "watch", "--", "/k", "x"}},
		{"unknown global flag", []string{"etcdctl", "--nope", "set", "k", "--ttl", "1"}, []string{"etcdctl", "--nope", "set", "k", "--ttl", "1"}},
		{"unknown command", []string{"etcdctl", "nope", "k", "--ttl", "1"}, []string{"etcdctl", "nope", "k", "--ttl", "1"}},
		{"dash dash before the command", []string{"etcdctl", "--", "get", "k", "--sort"}, []string{"etcdctl", "--", "get", "--sort", "k"}},
		{"missing flag value", []string{"etcdctl", "--endpoints"}, []string{"etcdctl", "--endpoints"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prepareArgs(app, tt.args); !slices.Equal(got, tt.want) {
				t.Errorf("prepareArgs(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestExecWatchArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantKey string
		wantCmd []string
		wantOK  bool
	}{
		{"key before delimiter", []string{"/k", "--", "sh", "-c", "x"}, "/k", []string{"sh", "-c", "x"}, true},
		{"legacy: key last", []string{"sh", "-c", "x", "/k"}, "/k", []string{"sh", "-c", "x"}, true},
		{"extra words before the delimiter", []string{"/k", "extra", "--", "ls"}, "/k", []string{"ls"}, true},
		{"delimiter without command", []string{"/k", "--"}, "/k", nil, false},
		{"one argument", []string{"/k"}, "", nil, false},
		{"none", nil, "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, cmd, ok := execWatchArgs(tt.args)
			if key != tt.wantKey || !slices.Equal(cmd, tt.wantCmd) || ok != tt.wantOK {
				t.Errorf("execWatchArgs(%q) = %q, %q, %v, want %q, %q, %v", tt.args, key, cmd, ok, tt.wantKey, tt.wantCmd, tt.wantOK)
			}
		})
	}
}
