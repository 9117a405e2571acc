package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeSnapState decodes a snapshot document exactly as json.Unmarshal into a snapState
// would: same result when it accepts, an error (wrapping ErrBadSnapshot) whenever it
// rejects.
//
// Most of the time of a restart went into encoding/json (validating the whole document,
// then reflection over a few hundred thousand node objects), so the "nodes" array is
// decoded by hand. The hand decoder only accepts a subset of JSON whose meaning is plain:
// object keys in ASCII without escapes, "nodes" at most once, no key that encoding/json
// would match case-insensitively, shallow nesting. Everything else — and every syntax or
// type error — goes to json.Unmarshal of the whole document, so odd inputs are decoded,
// and errors worded, by encoding/json itself. Everything Save writes is in the subset.
func decodeSnapState(data []byte) (snapState, error) {
	if st, ok := decodeSnapFast(data); ok {
		return st, nil
	}
	var st snapState
	if err := json.Unmarshal(data, &st); err != nil {
		return snapState{}, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	return st, nil
}

// maxSnapDepth bounds the nesting the hand decoder follows (encoding/json allows 10000;
// deeper documents go to it, which keeps its limit and its error).
const maxSnapDepth = 512

// snapDecoder reads a snapshot document. Its methods return false for anything outside the
// subset described at decodeSnapState, leaving the decision to encoding/json.
type snapDecoder struct {
	data []byte
	off  int
}

// decodeSnapFast decodes data, or reports false when encoding/json must decide.
func decodeSnapFast(data []byte) (snapState, bool) {
	d := snapDecoder{data: data}
	var st snapState
	d.skipSpace()
	if !d.consume('{') {
		return snapState{}, false
	}
	seenNodes := false
	d.skipSpace()
	if !d.consume('}') {
		for {
			key, ok := d.objectKey()
			if !ok {
				return snapState{}, false
			}
			switch string(key) {
			case "version":
				ok = d.delegate(&st.Version)
			case "index":
				ok = d.delegate(&st.Index)
			case "stats":
				ok = d.delegate(&st.Stats)
			case "history":
				ok = d.delegate(&st.History)
			case "nodes":
				// A repeated "nodes" would decode into the elements of the first array.
				ok = !seenNodes && d.nodes(&st.Nodes)
				seenNodes = true
			default:
				ok = !foldsTo(key, "version", "index", "stats", "history", "nodes") && d.skipValue(1)
			}
			if !ok {
				return snapState{}, false
			}
			done, ok := d.nextMember('}')
			if !ok {
				return snapState{}, false
			}
			if done {
				break
			}
		}
	}
	d.skipSpace()
	if d.off != len(d.data) {
		return snapState{}, false
	}
	return st, true
}

// delegate decodes the value at the offset into v with encoding/json. The value is small
// (everything but the nodes), so validating it twice costs nothing worth saving.
func (d *snapDecoder) delegate(v any) bool {
	start := d.off
	if !d.skipValue(1) {
		return false
	}
	return json.Unmarshal(d.data[start:d.off], v) == nil
}

// nodes decodes the array of tree nodes (or null) into *dst, which is nil.
func (d *snapDecoder) nodes(dst *[]snapNode) bool {
	if d.literal("null") {
		*dst = nil
		return true
	}
	if !d.consume('[') {
		return false
	}
	nodes := make([]snapNode, 0, 64)
	d.skipSpace()
	if !d.consume(']') {
		for {
			nodes = append(nodes, snapNode{})
			sn := &nodes[len(nodes)-1]
			// A null element leaves the element zero, as encoding/json does.
			if !d.literal("null") && !d.node(sn) {
				return false
			}
			done, ok := d.nextMember(']')
			if !ok {
				return false
			}
			if done {
				break
			}
		}
	}
	*dst = nodes
	return true
}

// node decodes one node object into sn. Later duplicates of a field win and null leaves
// a field alone, as with encoding/json.
func (d *snapDecoder) node(sn *snapNode) bool {
	if !d.consume('{') {
		return false
	}
	d.skipSpace()
	if d.consume('}') {
		return true
	}
	for {
		key, ok := d.objectKey()
		if !ok {
			return false
		}
		switch string(key) {
		case "key":
			ok = d.stringField(&sn.Key)
		case "value":
			ok = d.stringField(&sn.Value)
		case "dir":
			ok = d.boolField(&sn.Dir)
		case "hasValue":
			ok = d.boolField(&sn.HasValue)
		case "expire":
			ok = d.intField(&sn.Expire)
		case "ttl":
			ok = d.intField(&sn.TTL)
		case "modified":
			ok = d.uintField(&sn.Modified)
		case "created":
			ok = d.uintField(&sn.Created)
		default:
			ok = !foldsTo(key, "key", "value", "dir", "hasValue", "expire", "ttl", "modified", "created") &&
				d.skipValue(3)
		}
		if !ok {
			return false
		}
		if done, ok := d.nextMember('}'); done || !ok {
			return ok
		}
	}
}

// foldsTo reports whether the ASCII key equals one of names ignoring case: encoding/json
// would store its value in that field.
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if len(n) != len(key) {
			continue
		}
		same := true
		for i := range len(n) {
			a, b := key[i], n[i]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func (d *snapDecoder) skipSpace() {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

// consume moves past c if it is the next byte.
func (d *snapDecoder) consume(c byte) bool {
	if d.off < len(d.data) && d.data[d.off] == c {
		d.off++
		return true
	}
	return false
}

// literal moves past the literal lit (true, false, null) if it comes next. What follows it
// is checked by the caller (a separator or the end).
func (d *snapDecoder) literal(lit string) bool {
	if len(d.data)-d.off >= len(lit) && string(d.data[d.off:d.off+len(lit)]) == lit {
		d.off += len(lit)
		return true
	}
	return false
}

// objectKey reads `"key"` and the colon after it, leaving the offset at the value. Only
// printable ASCII keys without escapes are in the subset.
func (d *snapDecoder) objectKey() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.off
	for d.off < len(d.data) {
		c := d.data[d.off]
		if c == '"' {
			key := d.data[start:d.off]
			d.off++
			d.skipSpace()
			if !d.consume(':') {
				return nil, false
			}
			d.skipSpace()
			return key, true
		}
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			return nil, false
		}
		d.off++
	}
	return nil, false
}

// nextMember reads the separator after a value: the closing byte (done) or a comma and
// the space before the next member.
func (d *snapDecoder) nextMember(closing byte) (done, ok bool) {
	d.skipSpace()
	if d.consume(closing) {
		return true, true
	}
	if !d.consume(',') {
		return false, false
	}
	d.skipSpace()
	return false, true
}

func (d *snapDecoder) stringField(dst *string) bool {
	if d.literal("null") {
		return true
	}
	s, ok := d.str()
	if ok {
		*dst = s
	}
	return ok
}

func (d *snapDecoder) boolField(dst *bool) bool {
	switch {
	case d.literal("null"):
	case d.literal("true"):
		*dst = true
	case d.literal("false"):
		*dst = false
	default:
		return false
	}
	return true
}

// uintField reads an unsigned integer. Fractions, exponents, signs and values beyond
// uint64 are left to encoding/json (which rejects them for an integer field).
func (d *snapDecoder) uintField(dst *uint64) bool {
	if d.literal("null") {
		return true
	}
	v, ok := d.digits()
	if ok {
		*dst = v
	}
	return ok
}

// intField reads a signed integer within int64.
func (d *snapDecoder) intField(dst *int64) bool {
	if d.literal("null") {
		return true
	}
	neg := d.consume('-')
	v, ok := d.digits()
	switch {
	case !ok:
		return false
	case !neg && v <= math.MaxInt64:
		*dst = int64(v)
	case neg && v <= 1<<63:
		*dst = int64(-v) // -v wraps to the right two's complement for v == 1<<63
	default:
		return false
	}
	return true
}

// digits reads 0 or [1-9][0-9]* fitting in uint64 and not followed by a fraction or an
// exponent. A digit after a leading 0 is left for the caller to reject as a bad separator.
func (d *snapDecoder) digits() (uint64, bool) {
	start := d.off
	var v uint64
	for d.off < len(d.data) {
		c := d.data[d.off]
		if c < '0' || c > '9' {
			break
		}
		hi, lo := bits.Mul64(v, 10)
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return 0, false
		}
		v = lo
		d.off++
		if c == '0' && d.off-start == 1 {
			break
		}
	}
	if d.off == start {
		return 0, false
	}
	if d.off < len(d.data) {
		if c := d.data[d.off]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	return v, true
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// stringStops marks, in the most significant bit of each byte, the bytes of w that end
// the plain run of a string: '"', '\\', control characters and non-ASCII bytes. Bits above
// the lowest marked byte may be false positives (borrows); the lowest one is exact.
func stringStops(w uint64) uint64 {
	q := w ^ ('"' * lsb)
	bs := w ^ ('\\' * lsb)
	ctl := (w - ' '*lsb) &^ w
	return (ctl | (q-lsb)&^q | (bs-lsb)&^bs | w) & msb
}

// plainRun returns the offset of the first byte at or after i that is not printable
// ASCII other than '"' and '\\'.
func plainRun(data []byte, i int) int {
	for i+8 <= len(data) {
		if m := stringStops(binary.LittleEndian.Uint64(data[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(data) {
		if c := data[i]; c == '"' || c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	return i
}

// str reads a JSON string. Strings that are valid UTF-8 without escapes are copied as
// they are; others are unquoted as encoding/json does.
func (d *snapDecoder) str() (string, bool) {
	if !d.consume('"') {
		return "", false
	}
	start := d.off
	i := start
	for {
		i = plainRun(d.data, i)
		if i >= len(d.data) {
			return "", false
		}
		c := d.data[i]
		if c == '"' {
			d.off = i + 1
			return string(d.data[start:i]), true
		}
		if c < utf8.RuneSelf { // '\\' or a control character
			break
		}
		r, size := utf8.DecodeRune(d.data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	s, end, ok := unquoteSnap(d.data, start, i)
	if ok {
		d.off = end
	}
	return string(s), ok
}

// unquoteSnap unquotes the string whose contents begin at start, given that
// data[start:plain] needs no change. It returns the text and the offset after the closing
// quote. Like encoding/json it rejects control characters and unknown escapes, turns each
// byte of invalid UTF-8 into U+FFFD, and decodes \uXXXX pairs of surrogates, turning a
// surrogate that is not half of a pair into U+FFFD.
func unquoteSnap(data []byte, start, plain int) ([]byte, int, bool) {
	b := make([]byte, 0, plain-start+64)
	b = append(b, data[start:plain]...)
	i := plain
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			return b, i + 1, true
		case c < ' ':
			return nil, 0, false
		case c == '\\':
			if i+1 >= len(data) {
				return nil, 0, false
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(data, i+2)
				if r < 0 {
					return nil, 0, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2 := escapedU(data, i); r2 >= 0 {
						if pair := utf16.DecodeRune(r, r2); pair != unicode.ReplacementChar {
							b = utf8.AppendRune(b, pair)
							i += 6
							continue
						}
					}
					r = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return nil, 0, false
			}
			i += 2
		case c < utf8.RuneSelf:
			j := plainRun(data, i)
			b = append(b, data[i:j]...)
			i = j
		default:
			r, size := utf8.DecodeRune(data[i:])
			b = utf8.AppendRune(b, r) // RuneError for a bad byte
			i += size
		}
	}
	return nil, 0, false
}

// escapedU returns the code of a \uXXXX escape at data[i:], or -1.
func escapedU(data []byte, i int) rune {
	if i+1 >= len(data) || data[i] != '\\' || data[i+1] != 'u' {
		return -1
	}
	return hex4(data, i+2)
}

// hex4 returns the value of the four hex digits at data[i:], or -1.
func hex4(data []byte, i int) rune {
	if i+4 > len(data) {
		return -1
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skipValue moves past one JSON value, checking its syntax as strictly as encoding/json
// does. depth is the nesting of the enclosing value (the document is at depth 0).
func (d *snapDecoder) skipValue(depth int) bool {
	if d.off >= len(d.data) {
		return false
	}
	switch c := d.data[d.off]; {
	case c == '"':
		return d.skipString()
	case c == '{' || c == '[':
		if depth >= maxSnapDepth {
			return false
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		d.off++
		d.skipSpace()
		if d.consume(closing) {
			return true
		}
		for {
			if closing == '}' {
				if !d.consume('"') || !d.skipStringRest() {
					return false
				}
				d.skipSpace()
				if !d.consume(':') {
					return false
				}
				d.skipSpace()
			}
			if !d.skipValue(depth + 1) {
				return false
			}
			if done, ok := d.nextMember(closing); done || !ok {
				return ok
			}
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.skipNumber()
	}
	return false
}

func (d *snapDecoder) skipString() bool {
	return d.consume('"') && d.skipStringRest()
}

// skipStringRest moves past the rest of a string whose opening quote has been read. Bytes
// that are not valid UTF-8 are valid JSON syntax (encoding/json replaces them).
func (d *snapDecoder) skipStringRest() bool {
	i := d.off
	for {
		i = plainRun(d.data, i)
		if i >= len(d.data) {
			return false
		}
		switch c := d.data[i]; {
		case c == '"':
			d.off = i + 1
			return true
		case c == '\\':
			if i+1 >= len(d.data) {
				return false
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(d.data, i+2) < 0 {
					return false
				}
				i += 6
			default:
				return false
			}
		case c < ' ':
			return false
		default:
			i++
		}
	}
}

// skipNumber moves past -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *snapDecoder) skipNumber() bool {
	d.consume('-')
	if d.consume('0') {
		// no more integer digits
	} else if d.skipDigits() == 0 {
		return false
	}
	if d.consume('.') && d.skipDigits() == 0 {
		return false
	}
	if d.consume('e') || d.consume('E') {
		if !d.consume('+') {
			d.consume('-')
		}
		if d.skipDigits() == 0 {
			return false
		}
	}
	return true
}

func (d *snapDecoder) skipDigits() int {
	start := d.off
	for d.off < len(d.data) && '0' <= d.data[d.off] && d.data[d.off] <= '9' {
		d.off++
	}
	return d.off - start
}
