package members

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// ID identifies a member or a cluster. It prints as lowercase hex without leading zeros.
type ID uint64

func (id ID) String() string { return strconv.FormatUint(uint64(id), 16) }

// ParseID parses an ID printed by String.
func ParseID(s string) (ID, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("members: bad ID %q", s)
	}
	return ID(v), nil
}

// MemberID derives a member's ID: the first 8 bytes, big-endian, of the SHA-1 of its sorted
// peer URLs concatenated, then the cluster token, then, for members added at run time, the
// decimal Unix seconds of the add. Equal inputs give the reference's IDs.
func MemberID(peerURLs []string, token string, addedAt *time.Time) ID {
	urls := slices.Clone(peerURLs)
	slices.Sort(urls)
	var b []byte
	for _, u := range urls {
		b = append(b, u...)
	}
	b = append(b, token...)
	if addedAt != nil {
		b = strconv.AppendInt(b, addedAt.Unix(), 10)
	}
	sum := sha1.Sum(b)
	return ID(binary.BigEndian.Uint64(sum[:8]))
}

// ClusterID derives the cluster ID from its initial members: the first 8 bytes,
// big-endian, of the SHA-1 of their sorted IDs, each as 8 big-endian bytes.
func ClusterID(ids []ID) ID {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	b := make([]byte, 0, 8*len(sorted))
	for _, id := range sorted {
		b = binary.BigEndian.AppendUint64(b, uint64(id))
	}
	sum := sha1.Sum(b)
	return ID(binary.BigEndian.Uint64(sum[:8]))
}
