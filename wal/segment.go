package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	segmentSuffix = ".wal"
	spareSuffix   = ".tmp"
	brokenSuffix  = ".broken"
)

// segment identifies a segment file: %016x-%016x.wal, sequence then the index of the
// first entry the segment may hold.
type segment struct {
	seq   uint64
	index uint64
}

func (s segment) name() string { return fmt.Sprintf("%016x-%016x%s", s.seq, s.index, segmentSuffix) }

// parseSegmentName accepts exactly the names segment.name produces.
func parseSegmentName(name string) (segment, bool) {
	base, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(base) != 33 || base[16] != '-' {
		return segment{}, false
	}
	seq, err1 := parseHex16(base[:16])
	index, err2 := parseHex16(base[17:])
	if err1 != nil || err2 != nil {
		return segment{}, false
	}
	return segment{seq: seq, index: index}, true
}

// parseHex16 parses 16 lowercase hex digits (no sign, no prefix).
func parseHex16(s string) (uint64, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 16, 64)
}

// listSegments returns the segments in dir in sequence order, checking that the
// sequence numbers have no hole.
func listSegments(dir string) ([]segment, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var segs []segment
	for _, de := range des {
		if s, ok := parseSegmentName(de.Name()); ok && de.Type().IsRegular() {
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNotFound, dir)
	}
	slices.SortFunc(segs, func(a, b segment) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	for i := 1; i < len(segs); i++ {
		if segs[i].seq != segs[i-1].seq+1 {
			return nil, fmt.Errorf("%w in %s: %s follows %s", ErrMissingSegment, dir, segs[i].name(), segs[i-1].name())
		}
	}
	return segs, nil
}

// searchIndex returns the position of the last segment whose first index is at most
// index: replaying from there yields every entry after index. ok is false when even the
// first segment starts later.
func searchIndex(segs []segment, index uint64) (int, bool) {
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i].index <= index {
			return i, true
		}
	}
	return 0, false
}

// Exist reports whether dir holds at least one WAL segment.
func Exist(dir string) bool {
	des, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, de := range des {
		if _, ok := parseSegmentName(de.Name()); ok {
			return true
		}
	}
	return false
}

// removeSpares deletes spare segments a previous process left behind. They hold nothing:
// a spare becomes part of the log only by being renamed to a segment name.
func removeSpares(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, "*"+spareSuffix))
	if err != nil {
		return fmt.Errorf("wal: list spares in %s: %w", dir, err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			return fmt.Errorf("wal: remove stale spare: %w", err)
		}
	}
	return nil
}

func segmentPath(dir string, s segment) string { return filepath.Join(dir, s.name()) }
