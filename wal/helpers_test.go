package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/raft/v3/raftpb"
)

func testOptions(t testing.TB, segmentSize int64) Options {
	return Options{Logger: zerolog.New(zerolog.NewTestWriter(t)), SegmentSize: segmentSize}
}

// entries returns entries first..last of term, each with size bytes of data derived from
// its index and term so that a replaced entry is distinguishable.
func entries(first, last, term uint64, size int) []raftpb.Entry {
	var ents []raftpb.Entry
	for i := first; i <= last; i++ {
		data := bytes.Repeat([]byte{byte(i), byte(term)}, size/2+1)[:size]
		ents = append(ents, raftpb.Entry{Index: i, Term: term, Type: raftpb.EntryNormal, Data: data})
	}
	return ents
}

// createWAL creates a WAL in a fresh directory and closes it when the test ends.
func createWAL(t *testing.T, segmentSize int64, metadata []byte) (*WAL, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wal")
	w, err := Create(dir, metadata, testOptions(t, segmentSize))
	if err != nil {
		t.Fatalf("Create(%s) error = %v", dir, err)
	}
	t.Cleanup(func() { w.Close() })
	return w, dir
}

func mustSave(t *testing.T, w *WAL, hs raftpb.HardState, ents []raftpb.Entry) {
	t.Helper()
	if err := w.Save(hs, ents, true); err != nil {
		t.Fatalf("Save() error = %v", err)
	}
}

func mustClose(t *testing.T, w *WAL) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
}

// reopen opens dir at from and reads it all; the WAL is closed when the test ends.
func reopen(t *testing.T, dir string, from Snapshot, segmentSize int64) (*WAL, []byte, raftpb.HardState, []raftpb.Entry, error) {
	t.Helper()
	w, err := Open(dir, from, testOptions(t, segmentSize))
	if err != nil {
		return nil, nil, raftpb.HardState{}, nil, err
	}
	t.Cleanup(func() { w.Close() })
	meta, hs, ents, err := w.ReadAll()
	return w, meta, hs, ents, err
}

// frame is a record found in a segment file, for tests that damage particular records.
type frame struct {
	typ  recordType
	off  int64
	size int64
}

// frames decodes the segment at path without checking the chain against a previous
// segment.
func frames(t *testing.T, path string) []frame {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(path, bytes.NewReader(b), int64(len(b)), 0, false)
	var out []frame
	for {
		rec, err := d.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("decoding %s: %v", path, err)
		}
		out = append(out, frame{typ: rec.typ, off: rec.off, size: int64(frameSize(len(rec.data)))})
	}
}

// segmentFiles lists the segment file names in dir, oldest first.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := listSegments(dir)
	if err != nil {
		t.Fatalf("listSegments(%s) error = %v", dir, err)
	}
	var names []string
	for _, s := range segs {
		names = append(names, s.name())
	}
	return names
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// sliceWriter collects writes in memory.
type sliceWriter []byte

func (s *sliceWriter) Write(p []byte) (int, error) {
	*s = append(*s, p...)
	return len(p), nil
}

// reencode rewrites the segment at path record by record: seed gives the chain value
// its crc record carries (from the one stored), edit the data of each other record. The
// result checks out as if a writer had produced it.
func reencode(t *testing.T, path string, seed func(stored uint32) uint32, edit func(record) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(path, bytes.NewReader(b), int64(len(b)), 0, false)
	var out sliceWriter
	enc := encoder{w: &out}
	for {
		rec, err := d.next()
		if err != nil {
			break
		}
		if rec.typ == crcType {
			enc.crc = seed(binary.LittleEndian.Uint32(b[rec.off+headerSize:]))
			enc.encodeCRC()
			continue
		}
		if err := enc.encodeBytes(rec.typ, edit(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rewriteRecord replaces the data of the record at off and re-chains what follows.
func rewriteRecord(t *testing.T, path string, off int64, data []byte) {
	t.Helper()
	reencode(t, path, func(stored uint32) uint32 { return stored }, func(rec record) []byte {
		if rec.off == off {
			return data
		}
		return rec.data
	})
}

// rewriteChain re-encodes the segment at path as if the chain had carried seed into it.
func rewriteChain(t *testing.T, path string, seed uint32) {
	t.Helper()
	reencode(t, path, func(uint32) uint32 { return seed }, func(rec record) []byte { return rec.data })
}
