package main

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/etcd2/etcd2/wal"
)

// writeMember lays out a member's data dir the way our server does: a snapshot at
// index 5 and its WAL marker, then entries 6 to 8.
func writeMember(t *testing.T, dataDir string, withSnapshot bool) (raftpb.HardState, []raftpb.Entry, *raftpb.Snapshot) {
	t.Helper()
	nop := zerolog.Nop()
	meta := make([]byte, 16)
	binary.BigEndian.PutUint64(meta[0:8], 0x1111)
	binary.BigEndian.PutUint64(meta[8:16], 0x2222)
	w, err := wal.Create(filepath.Join(dataDir, "member", "wal"), meta, wal.Options{Logger: nop, SegmentSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	first := uint64(1)
	var snap *raftpb.Snapshot
	if withSnapshot {
		snap = &raftpb.Snapshot{Data: []byte(`{"store":"json"}`), Metadata: raftpb.SnapshotMetadata{
			Index: 5, Term: 2, ConfState: raftpb.ConfState{Voters: []uint64{0x1111}},
		}}
		snapDir := filepath.Join(dataDir, "member", "snap")
		if err := os.MkdirAll(snapDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := wal.NewSnapshotter(snapDir, nop).SaveSnap(*snap); err != nil {
			t.Fatal(err)
		}
		if err := w.SaveSnapshot(wal.Snapshot{Index: 5, Term: 2}); err != nil {
			t.Fatal(err)
		}
		first = 6
	}
	var ents []raftpb.Entry
	for i := first; i < first+3; i++ {
		ents = append(ents, raftpb.Entry{Term: 2, Index: i, Data: []byte(fmt.Sprintf("entry %d", i))})
	}
	hs := raftpb.HardState{Term: 2, Vote: 0x1111, Commit: first + 2}
	if err := w.Save(hs, ents, true); err != nil {
		t.Fatal(err)
	}
	return hs, ents, snap
}

func TestBackupCopiesUnderNewIdentity(t *testing.T) {
	for _, withSnapshot := range []bool{true, false} {
		t.Run(fmt.Sprintf("snapshot=%v", withSnapshot), func(t *testing.T) {
			src, dst := t.TempDir(), filepath.Join(t.TempDir(), "backup")
			hs, ents, snap := writeMember(t, src, withSnapshot)
			ids := []uint64{0, 0xaaaa, 0xbbbb}
			next := func() uint64 { v := ids[0]; ids = ids[1:]; return v }
			if err := backup(backupDirs{dataDir: src, backupDir: dst}, next); err != nil {
				t.Fatal(err)
			}

			nop := zerolog.Nop()
			walDir := filepath.Join(dst, "member", "wal")
			marks, err := wal.ValidSnapshotEntries(walDir)
			if err != nil {
				t.Fatal(err)
			}
			var from wal.Snapshot
			if withSnapshot {
				got, err := wal.NewSnapshotter(filepath.Join(dst, "member", "snap"), nop).LoadNewestAvailable(marks)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(snap.String(), got.String()); diff != "" {
					t.Errorf("backup snapshot differs (-want +got):\n%s", diff)
				}
				from = wal.Snapshot{Index: 5, Term: 2}
			}
			r, err := wal.Open(walDir, from, wal.Options{Logger: nop})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			meta, gotHS, gotEnts, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if m, c := binary.BigEndian.Uint64(meta[0:8]), binary.BigEndian.Uint64(meta[8:16]); m != 0xaaaa || c != 0xbbbb {
				t.Errorf("backup identity = member %x cluster %x, want aaaa bbbb", m, c)
			}
			if gotHS != hs {
				t.Errorf("backup hard state = %v, want %v", gotHS, hs)
			}
			if diff := cmp.Diff(fmt.Sprint(ents), fmt.Sprint(gotEnts)); diff != "" {
				t.Errorf("backup entries differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackupErrors(t *testing.T) {
	src := t.TempDir()
	writeMember(t, src, false)
	existing := t.TempDir()
	writeMember(t, existing, false)
	foreign := t.TempDir()
	w, err := wal.Create(filepath.Join(foreign, "member", "wal"), []byte("etcd metadata"), wal.Options{Logger: zerolog.Nop(), SegmentSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	tests := []struct {
		name    string
		dirs    backupDirs
		wantErr string
	}{
		{"no data dir", backupDirs{backupDir: t.TempDir()}, "--data-dir and --backup-dir are required"},
		{"no backup dir", backupDirs{dataDir: src}, "--data-dir and --backup-dir are required"},
		{"no WAL", backupDirs{dataDir: t.TempDir(), backupDir: t.TempDir()}, "backup: no WAL in"},
		{"backup exists", backupDirs{dataDir: src, backupDir: existing}, "wal: already exists"},
		{"not ours", backupDirs{dataDir: foreign, backupDir: t.TempDir()}, "was not written by etcd2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := backup(tt.dirs, func() uint64 { return 7 })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("backup(%+v) = %v, want an error containing %q", tt.dirs, err, tt.wantErr)
			}
		})
	}
}

// TestBackupStartsOnlyWithForceNewCluster backs up a stopped member of our server and
// starts the copy: without --force-new-cluster it never serves (its new ID is not in
// the configuration it carries); with it, it serves the data as a one-member cluster
// under a new ID.
func TestBackupStartsOnlyWithForceNewCluster(t *testing.T) {
	bin := ourServer(t)
	c := startClusterWith(t, bin, 1, true, nil, "--snapshot-count", "5")
	ep := c.members[0].clientURL
	for i := range 12 {
		runCLI(t, "--endpoints", ep, "set", fmt.Sprintf("/b/k%d", i), fmt.Sprint(i))
	}
	oldID := clusterVars(t, c)["id1"]
	stopMember(c.members[0])
	dataDir := c.members[0].dataDir

	backupDir := filepath.Join(t.TempDir(), "copy")
	if out := runCLI(t, "backup", "--data-dir", dataDir, "--backup-dir", backupDir); out != "" {
		t.Fatalf("backup printed %q", out)
	}

	copyArgs := []string{"--data-dir", backupDir}
	// Bounded negative check: a copy that is (wrongly) healthy shows it at once.
	plain := restartFrom(t, bin, copyArgs)
	quick := &http.Client{Timeout: 300 * time.Millisecond}
	if waitHealthy(quick, plain.members[0], 2*time.Second) == nil {
		t.Fatal("the copy served without --force-new-cluster")
	}
	plain.members[0].cmd.Process.Kill()
	<-plain.members[0].exited

	forced := restartFrom(t, bin, append(copyArgs, "--force-new-cluster"))
	if err := waitHealthy(forced.hc, forced.members[0], 20*time.Second); err != nil {
		t.Fatalf("the copy did not start with --force-new-cluster: %v\n%s", err, forced.members[0].log.String())
	}
	ep = forced.members[0].clientURL
	if got := runCLI(t, "--endpoints", ep, "get", "/b/k11"); got != "11\n" {
		t.Errorf("get /b/k11 on the copy = %q, want 11", got)
	}
	members := runCLI(t, "--endpoints", ep, "member", "list")
	if strings.Count(members, "\n") != 1 || strings.Contains(members, oldID) {
		t.Errorf("member list of the copy = %q, want one member with an ID other than %s", members, oldID)
	}
}
