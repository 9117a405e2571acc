package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/etcd2/etcd2/store"
)

func TestParseKeyRequestErrors(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		target    string
		body      string // sent url-encoded
		wantCode  store.Code
		wantCause string
	}{
		// 210: the form itself.
		{"bad query escape", "GET", "/v2/keys/x?value=%zz", "", store.CodeInvalidForm, `invalid URL escape "%zz"`},
		{"bad body escape", "PUT", "/v2/keys/x", "value=%zz", store.CodeInvalidForm, `invalid URL escape "%zz"`},
		{"short escape", "GET", "/v2/keys/x?value=%4", "", store.CodeInvalidForm, `invalid URL escape "%4"`},
		{"semicolon", "GET", "/v2/keys/x?value=a;b=c", "", store.CodeInvalidForm, "invalid semicolon separator in query"},
		{"body error beats query error", "PUT", "/v2/keys/x?a=%zy", "value=%zz", store.CodeInvalidForm, `invalid URL escape "%zz"`},
		{"form error beats everything", "GET", "/v2/keys/x?prevIndex=a&value=%zz", "", store.CodeInvalidForm, `invalid URL escape "%zz"`},
		// Each parameter's own error.
		{"prevIndex", "PUT", "/v2/keys/x?prevIndex=a", "", store.CodeIndexNaN, `invalid value for "prevIndex"`},
		{"prevIndex empty", "PUT", "/v2/keys/x?prevIndex=", "", store.CodeIndexNaN, `invalid value for "prevIndex"`},
		{"prevIndex negative", "PUT", "/v2/keys/x?prevIndex=-1", "", store.CodeIndexNaN, `invalid value for "prevIndex"`},
		{"waitIndex", "GET", "/v2/keys/x?waitIndex=1.5", "", store.CodeIndexNaN, `invalid value for "waitIndex"`},
		{"waitIndex too big", "GET", "/v2/keys/x?waitIndex=18446744073709551616", "", store.CodeIndexNaN, `invalid value for "waitIndex"`},
		{"recursive", "GET", "/v2/keys/x?recursive=maybe", "", store.CodeInvalidField, `invalid value for "recursive"`},
		{"recursive empty", "GET", "/v2/keys/x?recursive=", "", store.CodeInvalidField, `invalid value for "recursive"`},
		{"sorted", "GET", "/v2/keys/x?sorted=yes", "", store.CodeInvalidField, `invalid value for "sorted"`},
		{"wait", "GET", "/v2/keys/x?wait=on", "", store.CodeInvalidField, `invalid value for "wait"`},
		{"dir", "PUT", "/v2/keys/x?dir=2", "", store.CodeInvalidField, `invalid value for "dir"`},
		{"quorum", "GET", "/v2/keys/x?quorum=tRUE", "", store.CodeInvalidField, `invalid value for "quorum"`},
		{"stream", "GET", "/v2/keys/x?stream=y", "", store.CodeInvalidField, `invalid value for "stream"`},
		{"wait on PUT", "PUT", "/v2/keys/x?wait=true", "", store.CodeInvalidField, `"wait" can only be used with GET requests`},
		{"wait on HEAD", "HEAD", "/v2/keys/x?wait=true", "", store.CodeInvalidField, `"wait" can only be used with GET requests`},
		{"wait on DELETE", "DELETE", "/v2/keys/x?wait=1", "", store.CodeInvalidField, `"wait" can only be used with GET requests`},
		{"empty prevValue", "PUT", "/v2/keys/x?prevValue=", "", store.CodePrevValueRequired, `"prevValue" cannot be empty`},
		{"empty prevValue on GET", "GET", "/v2/keys/x?prevValue", "", store.CodePrevValueRequired, `"prevValue" cannot be empty`},
		{"noValueOnSuccess", "PUT", "/v2/keys/x?noValueOnSuccess=x", "", store.CodeInvalidField, `invalid value for "noValueOnSuccess"`},
		{"ttl", "PUT", "/v2/keys/x?ttl=a", "", store.CodeTTLNaN, `invalid value for "ttl"`},
		{"ttl negative", "PUT", "/v2/keys/x?ttl=-1", "", store.CodeTTLNaN, `invalid value for "ttl"`},
		{"ttl over 2^64-1", "PUT", "/v2/keys/x?ttl=18446744073709551616", "", store.CodeTTLNaN, `invalid value for "ttl"`},
		{"ttl with plus sign", "PUT", "/v2/keys/x?ttl=%2B5", "", store.CodeTTLNaN, `invalid value for "ttl"`},
		{"prevExist unquoted", "PUT", "/v2/keys/x?prevExist=maybe", "", store.CodeInvalidField, "invalid value for prevExist"},
		{"prevExist empty", "PUT", "/v2/keys/x?prevExist=", "", store.CodeInvalidField, "invalid value for prevExist"},
		{"refresh unquoted", "PUT", "/v2/keys/x?refresh=maybe", "", store.CodeInvalidField, "invalid value for refresh"},
		{"refresh with value", "PUT", "/v2/keys/x?refresh=true&ttl=5&value=v", "", store.CodeRefreshValue, "A value was provided on a refresh"},
		{"refresh without ttl", "PUT", "/v2/keys/x?refresh=true", "", store.CodeRefreshTTLRequired, "No TTL value set"},
		{"refresh with empty ttl", "PUT", "/v2/keys/x?refresh=true&ttl=", "", store.CodeRefreshTTLRequired, "No TTL value set"},
		// Validation order: the first failing check in the reference's order wins.
		{"prevIndex before waitIndex", "GET", "/v2/keys/x?waitIndex=a&prevIndex=a", "", store.CodeIndexNaN, `invalid value for "prevIndex"`},
		{"waitIndex before recursive", "GET", "/v2/keys/x?recursive=a&waitIndex=a", "", store.CodeIndexNaN, `invalid value for "waitIndex"`},
		{"recursive before sorted", "GET", "/v2/keys/x?sorted=a&recursive=a", "", store.CodeInvalidField, `invalid value for "recursive"`},
		{"sorted before wait", "GET", "/v2/keys/x?wait=a&sorted=a", "", store.CodeInvalidField, `invalid value for "sorted"`},
		{"wait before dir", "GET", "/v2/keys/x?dir=a&wait=a", "", store.CodeInvalidField, `invalid value for "wait"`},
		{"dir before quorum", "GET", "/v2/keys/x?quorum=a&dir=a", "", store.CodeInvalidField, `invalid value for "dir"`},
		{"quorum before stream", "GET", "/v2/keys/x?stream=a&quorum=a", "", store.CodeInvalidField, `invalid value for "quorum"`},
		{"stream before wait-method", "PUT", "/v2/keys/x?wait=true&stream=a", "", store.CodeInvalidField, `invalid value for "stream"`},
		{"wait-method before prevValue", "PUT", "/v2/keys/x?prevValue=&wait=true", "", store.CodeInvalidField, `"wait" can only be used with GET requests`},
		{"prevValue before noValueOnSuccess", "PUT", "/v2/keys/x?noValueOnSuccess=a&prevValue=", "", store.CodePrevValueRequired, `"prevValue" cannot be empty`},
		{"noValueOnSuccess before ttl", "PUT", "/v2/keys/x?ttl=a&noValueOnSuccess=a", "", store.CodeInvalidField, `invalid value for "noValueOnSuccess"`},
		{"ttl before prevExist", "PUT", "/v2/keys/x?prevExist=a&ttl=a", "", store.CodeTTLNaN, `invalid value for "ttl"`},
		{"prevExist before refresh", "PUT", "/v2/keys/x?refresh=a&prevExist=a", "", store.CodeInvalidField, "invalid value for prevExist"},
		{"refresh value before ttl", "PUT", "/v2/keys/x?refresh=true&value=v", "", store.CodeRefreshValue, "A value was provided on a refresh"},
		{"prevIndex before everything", "PUT", "/v2/keys/x?refresh=a&prevExist=a&ttl=a&prevIndex=a&dir=a", "", store.CodeIndexNaN, `invalid value for "prevIndex"`},
		// Only the first value counts, and the body's comes first.
		{"first value only", "GET", "/v2/keys/x?recursive=bad&recursive=true", "", store.CodeInvalidField, `invalid value for "recursive"`},
		{"body value checked first", "PUT", "/v2/keys/x?ttl=5", "ttl=bad", store.CodeTTLNaN, `invalid value for "ttl"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseKeyRequest(newKeyRequest(tt.method, tt.target, tt.body), 1<<20)
			var se *store.Error
			if !errors.As(err, &se) {
				t.Fatalf("parseKeyRequest(%s %s %q) error = %v, want a *store.Error", tt.method, tt.target, tt.body, err)
			}
			if se.Code != tt.wantCode || se.Cause != tt.wantCause || se.Index != 0 {
				t.Errorf("parseKeyRequest(%s %s %q) = %d %q index %d, want %d %q index 0",
					tt.method, tt.target, tt.body, se.Code, se.Cause, se.Index, tt.wantCode, tt.wantCause)
			}
		})
	}
}

func TestParseKeyRequest(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		body   string
		ctype  string // Content-Type of body; url-encoded when empty
		want   keyRequest
	}{
		{"root", "GET", "/v2/keys", "", "", keyRequest{method: "GET", key: "/1"}},
		{"root slash", "GET", "/v2/keys/", "", "", keyRequest{method: "GET", key: "/1"}},
		{"trailing slash", "GET", "/v2/keys/trail/", "", "", keyRequest{method: "GET", key: "/1/trail"}},
		{"decoded path", "GET", "/v2/keys/sp%20ace/q%3Fm", "", "", keyRequest{method: "GET", key: "/1/sp ace/q?m"}},
		{"dot dot stays inside", "GET", "/v2/keys/../..", "", "", keyRequest{method: "GET", key: "/1"}},
		{"dot dot cleaned", "GET", "/v2/keys/a/../b", "", "", keyRequest{method: "GET", key: "/1/b"}},
		{"double slash cleaned", "GET", "/v2/keys//a//b", "", "", keyRequest{method: "GET", key: "/1/a/b"}},
		{"all flags", "GET", "/v2/keys/d?recursive=true&sorted=1&wait=T&waitIndex=7&stream=TRUE", "", "",
			keyRequest{method: "GET", key: "/1/d", recursive: true, sorted: true, wait: true, waitIndex: 7, stream: true}},
		{"false spellings", "GET", "/v2/keys/d?recursive=0&sorted=f&wait=F&quorum=FALSE&stream=False&dir=false", "", "",
			keyRequest{method: "GET", key: "/1/d"}},
		{"quorum", "GET", "/v2/keys/d?quorum=true", "", "", keyRequest{method: "GET", key: "/1/d", quorum: true}},
		{"put value and ttl", "PUT", "/v2/keys/k?value=v&ttl=10", "", "",
			keyRequest{method: "PUT", key: "/1/k", value: "v", ttl: 10, hasTTL: true}},
		{"empty ttl is no ttl", "PUT", "/v2/keys/k?ttl=", "", "", keyRequest{method: "PUT", key: "/1/k"}},
		{"ttl zero", "PUT", "/v2/keys/k?ttl=0", "", "", keyRequest{method: "PUT", key: "/1/k", hasTTL: true}},
		{"ttl max", "PUT", "/v2/keys/k?ttl=18446744073709551615", "", "",
			keyRequest{method: "PUT", key: "/1/k", ttl: 1<<64 - 1, hasTTL: true}},
		{"conditions", "PUT", "/v2/keys/k?prevValue=a&prevIndex=3&prevExist=true", "", "",
			keyRequest{method: "PUT", key: "/1/k", prevValue: "a", prevIndex: 3, prevExist: isTrue}},
		{"prevExist false", "PUT", "/v2/keys/k?prevExist=false", "", "", keyRequest{method: "PUT", key: "/1/k", prevExist: isFalse}},
		{"refresh", "PUT", "/v2/keys/k?refresh=true&ttl=5&value=", "", "",
			keyRequest{method: "PUT", key: "/1/k", refresh: isTrue, ttl: 5, hasTTL: true}},
		{"refresh false with value", "PUT", "/v2/keys/k?refresh=false&value=v", "", "",
			keyRequest{method: "PUT", key: "/1/k", refresh: isFalse, value: "v"}},
		{"noValueOnSuccess", "PUT", "/v2/keys/k?noValueOnSuccess=true", "", "",
			keyRequest{method: "PUT", key: "/1/k", noValueOnSuccess: true}},
		{"body wins over query", "PUT", "/v2/keys/k?value=q&ttl=9", "value=b", "",
			keyRequest{method: "PUT", key: "/1/k", value: "b", ttl: 9, hasTTL: true}},
		{"empty body value wins", "PUT", "/v2/keys/k?value=q", "value=", "", keyRequest{method: "PUT", key: "/1/k"}},
		{"first value only", "PUT", "/v2/keys/k?value=1&value=2", "", "", keyRequest{method: "PUT", key: "/1/k", value: "1"}},
		{"plus and escapes", "PUT", "/v2/keys/k?value=a+b%26c&pr%65vIndex=2", "", "",
			keyRequest{method: "PUT", key: "/1/k", value: "a b&c", prevIndex: 2}},
		{"json body ignored", "PUT", "/v2/keys/k", `{"value":"j"}`, "application/json", keyRequest{method: "PUT", key: "/1/k"}},
		{"form body with charset", "PUT", "/v2/keys/k", "value=c", formContentType + "; charset=utf-8",
			keyRequest{method: "PUT", key: "/1/k", value: "c"}},
		{"multipart body ignored", "POST", "/v2/keys/k", "value=c", "multipart/form-data; boundary=x",
			keyRequest{method: "POST", key: "/1/k"}},
		{"DELETE body ignored", "DELETE", "/v2/keys/k", "recursive=true", "", keyRequest{method: "DELETE", key: "/1/k"}},
		{"POST body", "POST", "/v2/keys/q", "value=job&ttl=3", "",
			keyRequest{method: "POST", key: "/1/q", value: "job", ttl: 3, hasTTL: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newKeyRequest(tt.method, tt.target, tt.body)
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			got, err := parseKeyRequest(r, 1<<20)
			if err != nil {
				t.Fatalf("parseKeyRequest(%s %s %q) error = %v", tt.method, tt.target, tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(keyRequest{})); diff != "" {
				t.Errorf("parseKeyRequest(%s %s %q) mismatch (-want +got):\n%s", tt.method, tt.target, tt.body, diff)
			}
		})
	}
}

func TestParseKeyRequestBodyLimit(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		chunked bool
		wantErr error
	}{
		{"at the limit", "value=" + strings.Repeat("v", 10), false, nil},
		{"over the limit", "value=" + strings.Repeat("v", 11), false, errBodyTooLarge},
		{"over the limit, no length", "value=" + strings.Repeat("v", 11), true, errBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newKeyRequest("PUT", "/v2/keys/k", tt.body)
			if tt.chunked {
				r.ContentLength = -1
			}
			_, err := parseKeyRequest(r, 16)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("parseKeyRequest(%d bytes, limit 16) error = %v, want %v", len(tt.body), err, tt.wantErr)
			}
		})
	}
}

func TestParseKeyRequestBadContentType(t *testing.T) {
	r := newKeyRequest("PUT", "/v2/keys/k", "value=v")
	r.Header.Set("Content-Type", "text/plain; =x")
	_, err := parseKeyRequest(r, 1<<20)
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.CodeInvalidForm || se.Cause != "mime: invalid media parameter" {
		t.Errorf("parseKeyRequest(bad Content-Type) error = %v, want 210 mime: invalid media parameter", err)
	}
}

// newKeyRequest builds a server-side request; a body is sent url-encoded.
func newKeyRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", formContentType)
	}
	return r
}

// FuzzParseKeyRequest checks that no request makes the parser panic and that every key it
// accepts stays clean and inside the user key space.
func FuzzParseKeyRequest(f *testing.F) {
	f.Add("PUT", "/a/../../b", "value=1&ttl=5&prevExist=true", "refresh=true&ttl=")
	f.Add("GET", "//x/./y/", "wait=true&waitIndex=3&recursive=1", "")
	f.Add("DELETE", "/%2e%2e", "prevValue=&dir=x", "value=%zz")
	f.Fuzz(func(t *testing.T, method, p, query, body string) {
		r := httptest.NewRequest("GET", "/v2/keys", strings.NewReader(body))
		r.Method = method
		r.URL.Path = keysPrefix + p
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", formContentType)
		kr, err := parseKeyRequest(r, 1<<20)
		if err != nil {
			var se *store.Error
			if !errors.As(err, &se) && !errors.Is(err, errBodyTooLarge) {
				t.Fatalf("parseKeyRequest error %v is neither a store error nor errBodyTooLarge", err)
			}
			return
		}
		if kr.key != storePrefix && !strings.HasPrefix(kr.key, storePrefix+"/") {
			t.Fatalf("key %q of path %q left the user key space", kr.key, p)
		}
		if kr.key != path.Clean(kr.key) {
			t.Fatalf("key %q of path %q is not clean", kr.key, p)
		}
	})
}
