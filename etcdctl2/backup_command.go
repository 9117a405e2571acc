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
			// Accepted for scripts written for etcd 3; there is no v3 data to copy.
			&cli.BoolFlag{Name: "with-v3", Usage: "Backup v3 backend data"},
		},
		Action: func(c *cli.Context) error {
			err := backup(backupDirs{
				dataDir:      c.String("data-dir"),
				walDir:       c.String("wal-dir"),
				backupDir:    c.String("backup-dir"),
				backupWALDir: c.String("backup-wal-dir"),
			}, sys.rand.Uint64)
			if err != nil {
				return exitWith(exitBadArgs, err)
			}
			return nil
		},
	}
}
