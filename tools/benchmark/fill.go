package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

func fillCommand() *cli.Command {
	return &cli.Command{
		Name:  "fill",
		Usage: "write N distinct keys of S bytes and report the server's RSS growth per key",
		Flags: []cli.Flag{
			endpointsFlag(),
			&cli.Int64Flag{Name: "keys", Value: 100000, Usage: "keys to write, <key-prefix>0..N-1"},
			&cli.IntFlag{Name: flagValSize, Value: 256, Usage: "value size in bytes"},
			&cli.IntFlag{Name: flagClients, Value: 64, Usage: "concurrent clients"},
			&cli.IntFlag{Name: flagConns, Usage: "keep-alive connections per endpoint shared by all clients (0 = one per client)"},
			&cli.StringFlag{Name: flagKeyPrefix, Value: "/bench/", Usage: "prefix of the keys"},
			&cli.DurationFlag{Name: flagTimeout, Value: 10 * time.Second, Usage: "per-request timeout"},
			pidFlag(),
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			eps, err := parseEndpoints(c.String(flagEndpoints))
			if err != nil {
				return err
			}
			n := c.Int64("keys")
			cfg := loadConfig{
				Endpoints: eps,
				Clients:   c.Int(flagClients),
				Conns:     c.Int(flagConns),
				Total:     n,
				KeySpace:  max(n, 1),
				KeyPrefix: c.String(flagKeyPrefix),
				ValSize:   c.Int(flagValSize),
				Timeout:   c.Duration(flagTimeout),
				Progress:  c.App.ErrWriter,
				Label:     "fill",
			}
			rep, res, err := measureLoad(c, "fill", cfg)
			if err != nil {
				return err
			}
			rep.Fill = &fillReport{Keys: n, ValSize: cfg.ValSize}
			if s := rep.Server; s != nil {
				rep.Fill.RSSGrowth = s.RSSAfter - s.RSSBefore
				rep.Fill.BytesPerKey = float64(rep.Fill.RSSGrowth) / float64(n)
			}
			if err := rep.write(c.App.Writer, c.Bool(flagJSON)); err != nil {
				return err
			}
			if res.Errors > 0 {
				return fmt.Errorf("fill: %d of %d writes failed", res.Errors, res.Requests)
			}
			return nil
		},
	}
}
