package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/raft/v3/raftpb"
)

const damageSegSize = 1 << 20

// damageFixture writes a one-segment WAL whose records are crc, metadata, then entry i
// and a hard state for i = 1..10, then entry 11 alone: a 1500-byte entry that spans
// sectors is the last record. It returns the directory, the segment path, the frames
// and the entries.
func damageFixture(t *testing.T) (dir, path string, fr []frame, ents []raftpb.Entry) {
	t.Helper()
	w, dir := createWAL(t, damageSegSize, []byte("meta"))
	for i := uint64(1); i <= 10; i++ {
		mustSave(t, w, raftpb.HardState{Term: 1, Commit: i - 1}, entries(i, i, 1, 1500))
	}
	mustSave(t, w, raftpb.HardState{}, entries(11, 11, 1, 1500))
	mustClose(t, w)
	path = filepath.Join(dir, segmentFiles(t, dir)[0])
	return dir, path, frames(t, path), entries(1, 11, 1, 1500)
}

// entryFrame returns the frame of entry i in a damageFixture segment.
func entryFrame(fr []frame, i int) frame { return fr[2+2*(i-1)] }

func TestDamagedLastSegment(t *testing.T) {
	tests := []struct {
		name       string
		damage     func(t *testing.T, path string, fr []frame) (wantOff int64)
		wantErr    error
		wantDetail string // suffix of the error text after the offset
		wantEnts   int    // entries recovered when the WAL opens
		wantBroken bool
	}{
		{
			name:     "preallocated zeros after the last record",
			damage:   func(*testing.T, string, []frame) int64 { return 0 },
			wantEnts: 11,
		},
		{
			name: "truncated mid last record",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				truncate(t, path, entryFrame(fr, 11).off+700)
				return 0
			},
			wantEnts:   10,
			wantBroken: true,
		},
		{
			name: "truncated inside the last length word",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				truncate(t, path, entryFrame(fr, 11).off+4)
				return 0
			},
			wantEnts:   10,
			wantBroken: true,
		},
		{
			name: "last record's later sectors never written",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := entryFrame(fr, 11)
				from := (f.off/sectorSize + 1) * sectorSize
				zero(t, path, from, f.off+f.size-from)
				return 0
			},
			wantEnts:   10,
			wantBroken: true,
		},
		{
			name: "zero a sector mid-log",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := entryFrame(fr, 5)
				zero(t, path, (f.off/sectorSize+1)*sectorSize, sectorSize)
				return f.off
			},
			wantErr: ErrCRCMismatch,
		},
		{
			name: "zero a length word mid-log",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := entryFrame(fr, 6)
				zero(t, path, f.off, headerSize)
				return f.off
			},
			wantErr:    ErrCorrupt,
			wantDetail: ": zero frame header followed by data",
		},
		{
			name: "flip a crc byte mid-log",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := entryFrame(fr, 4)
				flip(t, path, f.off+headerSize+1, 0x40)
				return f.off
			},
			wantErr: ErrCRCMismatch,
		},
		{
			name: "flip a data byte mid-log",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := fr[5] // a hard state
				flip(t, path, f.off+frameOverhead, 0x01)
				return f.off
			},
			wantErr: ErrCRCMismatch,
		},
		{
			name: "flip a length bit mid-log",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := entryFrame(fr, 3)
				flip(t, path, f.off+1, 0x10)
				return f.off
			},
			wantErr:    ErrCorrupt,
			wantDetail: ": bad frame header",
		},
		{
			name: "flip a crc byte of the complete last record",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := entryFrame(fr, 11)
				flip(t, path, f.off+headerSize, 0xff)
				return f.off
			},
			wantErr: ErrCRCMismatch,
		},
		{
			name: "data after the end of the log",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				last := fr[len(fr)-1]
				end := last.off + last.size
				write(t, path, end+3*sectorSize, []byte("stray"))
				return end
			},
			wantErr:    ErrCorrupt,
			wantDetail: ": zero frame header followed by data",
		},
		{
			name: "torn last record followed by stray data",
			damage: func(t *testing.T, path string, fr []frame) int64 {
				f := entryFrame(fr, 11)
				from := (f.off/sectorSize + 1) * sectorSize
				zero(t, path, from, f.off+f.size-from)
				write(t, path, f.off+f.size+sectorSize, []byte("stray"))
				return f.off
			},
			wantErr: ErrCRCMismatch,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path, fr, all := damageFixture(t)
			wantOff := tt.damage(t, path, fr)
			damagedSize := fileSize(t, path)

			w, _, hs, ents, err := reopen(t, dir, Snapshot{}, damageSegSize)
			if tt.wantErr != nil {
				want := fmt.Sprintf("%v in %s at offset %d%s", tt.wantErr, path, wantOff, tt.wantDetail)
				if !errors.Is(err, tt.wantErr) || err.Error() != want {
					t.Fatalf("ReadAll() error = %v, want %q", err, want)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error text spans lines: %q", err)
				}
				var ce *CorruptionError
				if !errors.As(err, &ce) || ce.Path != path || ce.Offset != wantOff {
					t.Errorf("error = %#v, want a *CorruptionError at %s:%d", err, path, wantOff)
				}
				if _, err := os.Stat(path + brokenSuffix); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("refused WAL has a .broken copy (Stat error %v)", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadAll() error = %v", err)
			}
			if diff := cmp.Diff(all[:tt.wantEnts], ents, cmpBytes); diff != "" {
				t.Fatalf("recovered entries differ (-want +got):\n%s", diff)
			}
			if hs.Commit != 9 {
				t.Errorf("hard state commit = %d, want 9", hs.Commit)
			}
			broken, err := os.Stat(path + brokenSuffix)
			if tt.wantBroken != (err == nil) {
				t.Fatalf("Stat(.broken) error = %v, want broken copy %v", err, tt.wantBroken)
			}
			if tt.wantBroken {
				if broken.Size() != damagedSize {
					t.Errorf(".broken has %d bytes, want the %d of the damaged segment", broken.Size(), damagedSize)
				}
				if got := fileSize(t, path); got != damageSegSize {
					t.Errorf("repaired segment size = %d, want %d", got, damageSegSize)
				}
			}

			// The repaired log takes appends, and they read back after a restart.
			more := entries(uint64(tt.wantEnts)+1, uint64(tt.wantEnts)+3, 2, 700)
			mustSave(t, w, raftpb.HardState{Term: 2, Commit: 10}, more)
			mustClose(t, w)
			_, _, hs, ents, err = reopen(t, dir, Snapshot{}, damageSegSize)
			if err != nil {
				t.Fatalf("ReadAll() after appending to the repaired WAL error = %v", err)
			}
			want := append(append([]raftpb.Entry{}, all[:tt.wantEnts]...), more...)
			if diff := cmp.Diff(want, ents, cmpBytes); diff != "" {
				t.Errorf("entries after repair and append differ (-want +got):\n%s", diff)
			}
			if hs.Commit != 10 {
				t.Errorf("hard state commit = %d, want 10", hs.Commit)
			}
		})
	}
}

func TestTornRecordInEarlierSegment(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, last frame)
	}{
		{
			name:   "truncated mid record",
			damage: func(t *testing.T, path string, last frame) { truncate(t, path, last.off+last.size-20) },
		},
		{
			name: "last sectors zero",
			damage: func(t *testing.T, path string, last frame) {
				from := (last.off/sectorSize + 1) * sectorSize
				zero(t, path, from, last.off+last.size-from)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const segSize = 8192
			w, dir := createWAL(t, segSize, nil)
			for i := uint64(1); i <= 12; i++ {
				mustSave(t, w, raftpb.HardState{}, entries(i, i, 1, 1500))
			}
			mustClose(t, w)
			names := segmentFiles(t, dir)
			if len(names) < 2 {
				t.Fatalf("got %d segments, want at least 2", len(names))
			}
			path := filepath.Join(dir, names[0])
			fr := frames(t, path)
			last := fr[len(fr)-1]
			tt.damage(t, path, last)

			_, _, _, _, err := reopen(t, dir, Snapshot{}, segSize)
			want := fmt.Sprintf("wal: torn record in %s at offset %d: not in the last segment", path, last.off)
			if !errors.Is(err, ErrTornRecord) || err.Error() != want {
				t.Errorf("ReadAll() error = %v, want %q", err, want)
			}
			if _, err := ValidSnapshotEntries(dir); !errors.Is(err, ErrTornRecord) {
				t.Errorf("ValidSnapshotEntries() error = %v, want ErrTornRecord", err)
			}
		})
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func zero(t *testing.T, path string, off, n int64) {
	t.Helper()
	write(t, path, off, make([]byte, n))
}

func write(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, off int64, mask byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= mask
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestWritesRefusedAfterFailedReadAll(t *testing.T) {
	dir, path, fr, _ := damageFixture(t)
	flip(t, path, entryFrame(fr, 3).off+headerSize, 1)
	w, _, _, _, err := reopen(t, dir, Snapshot{}, damageSegSize)
	if !errors.Is(err, ErrCRCMismatch) {
		t.Fatalf("ReadAll() error = %v, want ErrCRCMismatch", err)
	}
	if err := w.Save(raftpb.HardState{Term: 5}, nil, true); !errors.Is(err, ErrCRCMismatch) {
		t.Errorf("Save() after a failed ReadAll error = %v, want the read error", err)
	}
	if err := w.ReleaseTo(1); !errors.Is(err, ErrCRCMismatch) {
		t.Errorf("ReleaseTo() after a failed ReadAll error = %v, want the read error", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close() after a failed ReadAll error = %v", err)
	}
}
