package members

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Member is one member of the cluster. A member that was added but has not started yet
// has no Name and no ClientURLs.
type Member struct {
	ID         ID
	Name       string
	PeerURLs   []string
	ClientURLs []string
}

// Started reports whether the member has published its attributes.
func (m *Member) Started() bool { return m.Name != "" }

// AppendJSON appends the wire form {"id":…,"name":…,"peerURLs":[…],"clientURLs":[…]};
// missing URL lists are written as [] (never null), like the reference.
func (m *Member) AppendJSON(buf []byte) []byte {
	buf = append(buf, `{"id":"`...)
	buf = strconv.AppendUint(buf, uint64(m.ID), 16)
	buf = append(buf, `","name":`...)
	buf = appendString(buf, m.Name)
	buf = append(buf, `,"peerURLs":`...)
	buf = appendStrings(buf, m.PeerURLs)
	buf = append(buf, `,"clientURLs":`...)
	buf = appendStrings(buf, m.ClientURLs)
	return append(buf, '}')
}

// AppendListJSON appends {"members":[…]} followed by a newline, members in the given
// order (callers pass them sorted by ID).
func AppendListJSON(buf []byte, ms []Member) []byte {
	buf = append(buf, `{"members":[`...)
	for i := range ms {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = ms[i].AppendJSON(buf)
	}
	return append(buf, "]}\n"...)
}

func appendStrings(buf []byte, ss []string) []byte {
	buf = append(buf, '[')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, s)
	}
	return append(buf, ']')
}

// appendString writes s as a JSON string with Go's escaping rules (HTML-safe).
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// NormalizeURLs parses, validates and sorts a list of peer or client URLs as the
// reference does: each needs a scheme (http, https, unix, unixs), a host with a port
// (except unix sockets) and no path.
func NormalizeURLs(raw []string) ([]string, error) {
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		u, err := url.Parse(strings.TrimSpace(r))
		if err != nil {
			return nil, err
		}
		switch u.Scheme {
		case "http", "https":
			if _, _, err := net.SplitHostPort(u.Host); err != nil {
				return nil, fmt.Errorf(`URL address does not have the form "host:port": %s`, r)
			}
		case "unix", "unixs":
		default:
			return nil, fmt.Errorf("URL scheme must be http, https, unix, or unixs: %s", r)
		}
		if u.Path != "" {
			return nil, fmt.Errorf("URL must not contain a path: %s", r)
		}
		out = append(out, u.String())
	}
	slices.Sort(out)
	return out, nil
}

// NewAddedMember builds a member added at run time (POST /v2/members): no name yet, and
// an ID that mixes in the time of the add. The reference passes no cluster token here.
func NewAddedMember(peerURLs []string, now time.Time) (Member, error) {
	urls, err := NormalizeURLs(peerURLs)
	if err != nil {
		return Member{}, err
	}
	return Member{ID: MemberID(urls, "", &now), PeerURLs: urls}, nil
}
