package store

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The wire JSON is written by hand: field order, omissions and escaping must match the
// reference byte for byte (SPEC §2.5), and the read path must not pay for reflection.

// AppendJSON appends the event as the keys API writes it, followed by '\n'. trim is a key
// prefix stripped from every key (the HTTP layer passes "/1"); a key equal to trim becomes
// "" and is omitted.
func (e *Event) AppendJSON(buf []byte, trim string) []byte {
	buf = append(buf, `{"action":`...)
	buf = appendJSONString(buf, string(e.Action))
	if e.Node != nil {
		buf = append(buf, `,"node":`...)
		buf = e.Node.appendJSON(buf, trim)
	}
	if e.PrevNode != nil {
		buf = append(buf, `,"prevNode":`...)
		buf = e.PrevNode.appendJSON(buf, trim)
	}
	return append(buf, "}\n"...)
}

// AppendJSONNoValue appends the body of a write with noValueOnSuccess=true:
// {"action":"set"} and '\n'.
func (e *Event) AppendJSONNoValue(buf []byte) []byte {
	buf = append(buf, `{"action":`...)
	buf = appendJSONString(buf, string(e.Action))
	return append(buf, "}\n"...)
}

func (n *NodeExtern) appendJSON(buf []byte, trim string) []byte {
	buf = appendNodeHead(buf, n.Key, trim, n.HasValue, n.Value, n.Dir, n.Expiration, n.TTL)
	if len(n.Nodes) > 0 {
		buf = appendComma(buf)
		buf = append(buf, `"nodes":[`...)
		for i, c := range n.Nodes {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = c.appendJSON(buf, trim)
		}
		buf = append(buf, ']')
	}
	return appendNodeTail(buf, n.ModifiedIndex, n.CreatedIndex)
}

// appendNodeHead opens a node object and writes the fields that precede "nodes". Every
// field is optional, so each one writes its separating comma only when something precedes
// it (the last byte is not the opening brace).
func appendNodeHead(buf []byte, key, trim string, hasValue bool, value string, dir bool, exp, ttl int64) []byte {
	buf = append(buf, '{')
	if key = trimKey(key, trim); key != "" {
		buf = append(buf, `"key":`...)
		buf = appendJSONString(buf, key)
	}
	if hasValue {
		buf = appendComma(buf)
		buf = append(buf, `"value":`...)
		buf = appendJSONString(buf, value)
	}
	if dir {
		buf = appendComma(buf)
		buf = append(buf, `"dir":true`...)
	}
	if exp != 0 {
		buf = appendComma(buf)
		buf = append(buf, `"expiration":"`...)
		buf = time.Unix(0, exp).UTC().AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, '"')
	}
	if ttl != 0 {
		buf = appendComma(buf)
		buf = append(buf, `"ttl":`...)
		buf = strconv.AppendInt(buf, ttl, 10)
	}
	return buf
}

// appendNodeTail writes the index fields and closes the node object.
func appendNodeTail(buf []byte, modified, created uint64) []byte {
	if modified != 0 {
		buf = appendComma(buf)
		buf = append(buf, `"modifiedIndex":`...)
		buf = strconv.AppendUint(buf, modified, 10)
	}
	if created != 0 {
		buf = appendComma(buf)
		buf = append(buf, `"createdIndex":`...)
		buf = strconv.AppendUint(buf, created, 10)
	}
	return append(buf, '}')
}

func appendComma(buf []byte) []byte {
	if buf[len(buf)-1] != '{' {
		buf = append(buf, ',')
	}
	return buf
}

// trimKey strips trim from key when key is trim itself or lies below it.
func trimKey(key, trim string) string {
	if trim == "" || !strings.HasPrefix(key, trim) {
		return key
	}
	if rest := key[len(trim):]; rest == "" || rest[0] == '/' {
		return rest
	}
	return key
}

// AppendJSON appends the error body {"errorCode":…,"message":…,"cause":…,"index":…} and
// '\n'; cause is omitted when empty.
func (e *Error) AppendJSON(buf []byte) []byte {
	return e.AppendJSONTrim(buf, "")
}

// AppendJSONTrim is AppendJSON with the key prefix trim stripped from the cause, as the HTTP
// layer does for store errors (a cause equal to trim becomes "" and is omitted).
func (e *Error) AppendJSONTrim(buf []byte, trim string) []byte {
	buf = append(buf, `{"errorCode":`...)
	buf = strconv.AppendInt(buf, int64(e.Code), 10)
	buf = append(buf, `,"message":`...)
	buf = appendJSONString(buf, e.Message)
	if cause := trimKey(e.Cause, trim); cause != "" {
		buf = append(buf, `,"cause":`...)
		buf = appendJSONString(buf, cause)
	}
	buf = append(buf, `,"index":`...)
	buf = strconv.AppendUint(buf, e.Index, 10)
	return append(buf, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes written as they are inside a JSON string.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	t['"'], t['\\'], t['<'], t['>'], t['&'] = false, false, false, false, false
	return t
}()

// appendJSONString appends s as a JSON string escaped the way the reference's Go 1.19
// encoding/json did: \" \\ \n \r \t, other control bytes (including \b and \f) as \u00XX,
// <>& as \u003c \u003e \u0026, U+2028 and U+2029 as \u2028 \u2029, each byte of invalid
// UTF-8 as \ufffd, and everything else (including DEL and non-ASCII) as is.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
