package main

import (
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

func TestFlagHelp(t *testing.T) {
	tests := []struct {
		flag cli.Flag
		want string
	}{
		{&cli.BoolFlag{Name: "forever", Aliases: []string{"f"}, Usage: "watch forever"}, "--forever, -f\twatch forever"},
		{&cli.BoolFlag{Name: "readwrite", Aliases: []string{"rw"}, Usage: "rw"}, "--readwrite, --rw\trw"},
		{&cli.StringFlag{Name: "path", Usage: "a path"}, "--path value\ta path"},
		{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "simple", Usage: "format (`simple`, `extended` or `json`)"},
			"--output simple, -o simple\tformat (simple, `extended` or `json`) (default: \"simple\")"},
		{&cli.IntFlag{Name: "ttl", Usage: "key ttl"}, "--ttl value\tkey ttl (default: 0)"},
		{&cli.DurationFlag{Name: "timeout", Value: 2 * time.Second, Usage: "per request"}, "--timeout value\tper request (default: 2s)"},
		{&cli.StringSliceFlag{Name: "roles", Usage: "roles"}, "--roles value\troles"},
	}
	for _, tt := range tests {
		if got := flagHelp(tt.flag); got != tt.want {
			t.Errorf("flagHelp(%s) = %q, want %q", tt.flag.Names()[0], got, tt.want)
		}
	}
}
