package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// form holds the url-encoded parameters of a request without building maps: the body's
// and the query's raw strings, both already validated. Lookups see the body first, as
// (*http.Request).ParseForm orders values, so a body value wins over a query value and
// only the first value of a repeated name counts (SPEC §2.2).
type form struct {
	body, query string
}

// errBodyTooLarge is returned by readForm for a body over the configured limit.
var errBodyTooLarge = errors.New("http: request body too large")

const formContentType = "application/x-www-form-urlencoded"

// readForm reads the request's form like ParseForm would, with the same error texts:
// the body only for POST, PUT and PATCH with a url-encoded content type (JSON and other
// bodies are ignored), a malformed Content-Type is an error, the body's error wins over
// the query's. A body over limit bytes is errBodyTooLarge.
func readForm(r *http.Request, limit int64) (form, error) {
	var f form
	var bodyErr error
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		f.body, bodyErr = readFormBody(r, limit)
		if errors.Is(bodyErr, errBodyTooLarge) {
			return form{}, bodyErr
		}
	}
	f.query = r.URL.RawQuery
	queryErr := validateQuery(f.query)
	if bodyErr != nil {
		return form{}, bodyErr
	}
	if queryErr != nil {
		return form{}, queryErr
	}
	return f, nil
}

// readFormBody returns the url-encoded body of r, "" when the content type is another.
func readFormBody(r *http.Request, limit int64) (string, error) {
	ct := r.Header.Get("Content-Type")
	if ct != formContentType {
		if ct == "" {
			return "", nil // application/octet-stream (RFC 7231 §3.1.1.5)
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return "", err
		}
		if mt != formContentType {
			return "", nil
		}
	}
	if r.Body == nil {
		return "", errors.New("missing form body")
	}
	if r.ContentLength > limit {
		return "", errBodyTooLarge
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	var maxErr *http.MaxBytesError
	switch {
	case n > limit || errors.As(err, &maxErr):
		return "", errBodyTooLarge
	case err != nil:
		return "", err
	}
	body := buf.String()
	if err := validateQuery(body); err != nil {
		return "", err
	}
	return body, nil
}

// maxQueryParams mirrors net/url's default limit on the number of parameters; above it
// url.ParseQuery is asked for its verdict.
const maxQueryParams = 10000

// validateQuery returns the error url.ParseQuery would return for s, or nil. The scan
// finds the rare suspicious cases (a semicolon, a bad escape, very many parameters)
// without allocating; url.ParseQuery then supplies the exact error text. A bad escape is
// bad whether one looks at the whole string or at one key or value: '&' and '=' are not
// hex digits, so an escape never spans a separator.
func validateQuery(s string) error {
	suspicious := strings.Count(s, "&") >= maxQueryParams
	for i := 0; i < len(s) && !suspicious; i++ {
		switch s[i] {
		case ';':
			suspicious = true
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				suspicious = true
			}
			i += 2
		}
	}
	if !suspicious {
		return nil
	}
	_, err := url.ParseQuery(s)
	return err
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// get returns the first value of name, body first, and whether name is present at all.
func (f *form) get(name string) (string, bool) {
	if v, ok := lookupQuery(f.body, name); ok {
		return v, true
	}
	return lookupQuery(f.query, name)
}

// value returns the first value of name or "" (FormValue).
func (f *form) value(name string) string {
	v, _ := f.get(name)
	return v
}

// lookupQuery finds the first value of name in the validated query string s. Keys and
// values are unescaped only when they contain an escape, so the common case allocates
// nothing.
func lookupQuery(s, name string) (string, bool) {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if k != name && (!needsUnescape(k) || unescape(k) != name) {
			continue
		}
		if needsUnescape(v) {
			v = unescape(v)
		}
		return v, true
	}
	return "", false
}

func needsUnescape(s string) bool { return strings.ContainsAny(s, "%+") }

// unescape decodes a query component that validateQuery accepted, so it cannot fail.
func unescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}
