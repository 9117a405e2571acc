package main

import (
	"context"
	"io"
	"testing"

	"github.com/urfave/cli/v2"
)

// parseFlags runs the server's flag parsing (environment included) on args.
func parseFlags(t *testing.T, args, environ []string) (*serverConfig, error) {
	t.Helper()
	var cfg *serverConfig
	var perr error
	app := &cli.App{
		Name: "etcd", Flags: serverFlags(), Writer: io.Discard, ErrWriter: io.Discard,
		Action: func(c *cli.Context) error {
			if _, _, err := applyEnv(c, environ); err != nil {
				perr = err
				return nil
			}
			cfg, perr = parseServerConfig(c)
			return nil
		},
	}
	if err := app.RunContext(context.Background(), append([]string{"etcd"}, args...)); err != nil {
		return nil, err
	}
	return cfg, perr
}

func TestParseDiscoveryConfig(t *testing.T) {
	const conflict = `invalid configuration: multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"`
	tests := []struct {
		name        string
		args, env   []string
		want        discoverySettings
		wantCluster string
		wantErr     string
	}{
		{name: "static", want: discoverySettings{Fallback: "proxy"}, wantCluster: "default=http://localhost:2380"},
		{name: "discovery URL", args: []string{"--discovery", "https://disc.example/abc"},
			want: discoverySettings{URL: "https://disc.example/abc", Fallback: "proxy"}},
		{name: "fallback exit and a proxy", args: []string{"--discovery", "http://h/x", "--discovery-fallback", "exit", "--discovery-proxy", "p:3128"},
			want: discoverySettings{URL: "http://h/x", Fallback: "exit", Proxy: "p:3128"}},
		{name: "SRV", args: []string{"--discovery-srv", "example.com", "--discovery-srv-name", "blue", "--discovery-srv-resolver", "127.0.0.1:53"},
			want: discoverySettings{SRV: "example.com", SRVName: "blue", SRVResolver: "127.0.0.1:53", Fallback: "proxy"}},
		{name: "from the environment", env: []string{"ETCD_DISCOVERY=http://h/y", "ETCD_DISCOVERY_FALLBACK=exit"},
			want: discoverySettings{URL: "http://h/y", Fallback: "exit"}},
		{name: "with initial cluster", args: []string{"--discovery", "http://h/x", "--initial-cluster", "a=http://127.0.0.1:2380"}, wantErr: conflict},
		{name: "initial cluster from the environment", args: []string{"--discovery-srv", "example.com"},
			env: []string{"ETCD_INITIAL_CLUSTER=a=http://127.0.0.1:2380"}, wantErr: conflict},
		{name: "URL and SRV", args: []string{"--discovery", "http://h/x", "--discovery-srv", "example.com"}, wantErr: conflict},
		{name: "bad fallback", args: []string{"--discovery-fallback", "retry"},
			wantErr: `invalid value "retry" for flag -discovery-fallback: invalid value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(t, tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("parse(%q) error = %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.args, err)
			}
			if cfg.Discovery != tt.want {
				t.Errorf("parse(%q).Discovery = %+v, want %+v", tt.args, cfg.Discovery, tt.want)
			}
			if cfg.InitialCluster != tt.wantCluster {
				t.Errorf("parse(%q).InitialCluster = %q, want %q", tt.args, cfg.InitialCluster, tt.wantCluster)
			}
		})
	}
}
