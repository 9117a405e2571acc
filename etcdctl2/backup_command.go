package main

import (
	"github.com/urfave/cli/v2"
)

func newBackupCommand(sys *system) *cli.Command {
	return &cli.Command{
		Name:      "backup",
		Usage:     "backup an etcd directory",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Usage: "Path to the etcd data dir"},
			&cli.StringFlag{Name: "wal-dir", Usage: "Path to the etcd wal dir"},
			&cli.StringFlag{Name: "backup-dir", Usage: "Path to the backup dir"},
			&cli.StringFlag{Name: "backup-wal-dir", Usage: "Path to the backup wal dir"},
			&cli.BoolFlag{Name: "with-v3", Usage: "Backup v3 backend data"},
		},
		Action: func(c *cli.Context) error {
			return exitf(exitBadArgs, "backup: not supported yet")
		},
	}
}
