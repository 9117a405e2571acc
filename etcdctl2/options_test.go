package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// globalContext parses global options the way the application does (aliases
// included) and returns the context a command would see.
func globalContext(t *testing.T, args ...string) *cli.Context {
	t.Helper()
	var got *cli.Context
	app := &cli.App{
		Flags:    globalFlags(),
		HideHelp: true,
		Action:   func(c *cli.Context) error { got = c; return nil },
	}
	if err := app.Run(append([]string{"etcdctl"}, args...)); err != nil {
		t.Fatal(err)
	}
	return got
}

func envOf(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestEndpointPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"default", nil, nil, []string{"http://127.0.0.1:2379", "http://127.0.0.1:4001"}},
		{"--endpoints beats everything", []string{"--endpoints", "http://a:1", "--endpoint", "http://b:1", "-C", "http://c:1"},
			[]string{"ETCDCTL_ENDPOINTS", "http://d:1"}, []string{"http://a:1"}},
		{"ETCDCTL_ENDPOINTS beats --endpoint", []string{"--endpoint", "http://b:1"}, []string{"ETCDCTL_ENDPOINTS", "http://d:1,http://e:1"}, []string{"http://d:1", "http://e:1"}},
		{"--endpoint beats ETCDCTL_ENDPOINT", []string{"--endpoint", "http://b:1"}, []string{"ETCDCTL_ENDPOINT", "http://d:1"}, []string{"http://b:1"}},
		{"ETCDCTL_ENDPOINT beats --peers", []string{"--peers", "http://c:1"}, []string{"ETCDCTL_ENDPOINT", "http://d:1"}, []string{"http://d:1"}},
		{"--peers beats ETCDCTL_PEERS", []string{"-C", "http://c:1"}, []string{"ETCDCTL_PEERS", "http://d:1"}, []string{"http://c:1"}},
		{"ETCDCTL_PEERS", nil, []string{"ETCDCTL_PEERS", "http://d:1"}, []string{"http://d:1"}},
		{"scheme added", []string{"--endpoints", "example.com"}, nil, []string{"http://example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := globalContext(t, tt.args...)
			sys := &system{getenv: envOf(tt.env...), stderr: &strings.Builder{}}
			got, err := endpoints(c.Context, c, sys, readDiscovery(c, sys.getenv))
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("endpoints(%q, env %q) = %q, %v, want %q", tt.args, tt.env, got, err, tt.want)
			}
		})
	}
}

func TestEndpointsFromSRV(t *testing.T) {
	dns := fakeDNS{
		"_etcd-client-ssl._tcp.mixed.example": {{Target: "a.mixed.example.", Port: 2379}},
		"_etcd-client._tcp.mixed.example":     {{Target: "b.mixed.example.", Port: 2379}},
		"_etcd-client._tcp.plain.example":     {{Target: "p.plain.example.", Port: 2379}},
	}
	tests := []struct {
		name       string
		args       []string
		env        []string
		want       []string
		wantStderr string
		wantErr    bool
	}{
		{"insecure endpoints dropped", []string{"-D", "mixed.example"}, nil, []string{"https://a.mixed.example.:2379"},
			"ignoring discovered insecure endpoint \"http://b.mixed.example.:2379\"\n", false},
		{"insecure allowed", []string{"--discovery-srv", "mixed.example", "--insecure-discovery"}, nil,
			[]string{"https://a.mixed.example.:2379", "http://b.mixed.example.:2379"}, "", false},
		{"variable", nil, []string{"ETCDCTL_DISCOVERY_SRV", "mixed.example", "ETCDCTL_INSECURE_DISCOVERY", "1"},
			[]string{"https://a.mixed.example.:2379", "http://b.mixed.example.:2379"}, "", false},
		{"nothing secure falls back to the options", []string{"-D", "plain.example", "--endpoints", "http://x:1"}, nil,
			[]string{"http://x:1"}, "ignoring discovered insecure endpoint \"http://p.plain.example.:2379\"\n", false},
		{"lookup failure", []string{"-D", "none.example"}, nil, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := globalContext(t, tt.args...)
			var stderr strings.Builder
			sys := &system{getenv: envOf(tt.env...), stderr: &stderr, lookupSRV: dns.lookup}
			got, err := endpoints(c.Context, c, sys, readDiscovery(c, sys.getenv))
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) || stderr.String() != tt.wantStderr {
				t.Errorf("endpoints(%q) = %q, %v, stderr %q; want %q, error %v, stderr %q", tt.args, got, err, stderr.String(), tt.want, tt.wantErr, tt.wantStderr)
			}
		})
	}
}

func TestTLSServerName(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-D", "example.com"}, "example.com"},
		{[]string{"-D", "example.com", "--insecure-discovery"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		c := globalContext(t, tt.args...)
		d := readDiscovery(c, envOf())
		if got := tlsOptions(c, envOf(), d).serverName; got != tt.want {
			t.Errorf("tlsOptions(%q).serverName = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestCredentials(t *testing.T) {
	prompts := 0
	sys := &system{readPassword: func(prompt string) (string, error) { prompts++; return "typed", nil }}
	tests := []struct {
		flag, wantName, wantPass string
		wantPrompts              int
	}{
		{"root:pw", "root", "pw", 0},
		{"root:", "root", "", 0},
		{"root:a:b", "root", "a:b", 0},
		{"root", "root", "typed", 1},
	}
	for _, tt := range tests {
		prompts = 0
		name, pass, err := credentials(sys, "Password: ", tt.flag)
		if err != nil || name != tt.wantName || pass != tt.wantPass || prompts != tt.wantPrompts {
			t.Errorf("credentials(%q) = %q, %q, %v (%d prompts), want %q, %q (%d prompts)", tt.flag, name, pass, err, prompts, tt.wantName, tt.wantPass, tt.wantPrompts)
		}
	}
}

func TestReadLine(t *testing.T) {
	tests := []struct{ in, want, rest string }{
		{"pw\nvalue", "pw", "value"},
		{"pw\r\n", "pw", ""},
		{"pw", "pw", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		r := strings.NewReader(tt.in)
		got, err := readLine(r)
		rest := make([]byte, 64)
		n, _ := r.Read(rest)
		if err != nil || got != tt.want || string(rest[:n]) != tt.rest {
			t.Errorf("readLine(%q) = %q, %v, leaving %q; want %q leaving %q", tt.in, got, err, rest[:n], tt.want, tt.rest)
		}
	}
}
