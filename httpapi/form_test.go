package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// formNames are the parameters the keys API reads, plus an odd one.
var formNames = []string{"value", "ttl", "dir", "prevValue", "prevIndex", "prevExist", "recursive",
	"sorted", "wait", "waitIndex", "quorum", "stream", "noValueOnSuccess", "refresh", "", "a b"}

// checkFormMatchesParseForm compares readForm with net/http's ParseForm on one request.
func checkFormMatchesParseForm(t *testing.T, method, query, body string) {
	t.Helper()
	mk := func() *http.Request {
		r := httptest.NewRequest(method, "/v2/keys/k", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", formContentType)
		return r
	}
	ref := mk()
	refErr := ref.ParseForm()
	f, err := readForm(mk(), 1<<20)
	if (err != nil) != (refErr != nil) || err != nil && err.Error() != refErr.Error() {
		t.Fatalf("readForm(%s ?%q body %q) error = %v, ParseForm error = %v", method, query, body, err, refErr)
	}
	if err != nil {
		return
	}
	for _, name := range formNames {
		got, gotOK := f.get(name)
		want, wantOK := ref.Form[name]
		if gotOK != wantOK || wantOK && got != want[0] {
			t.Errorf("readForm(%s ?%q body %q).get(%q) = %q %v, ParseForm has %q %v", method, query, body, name, got, gotOK, want, wantOK)
		}
	}
}

func TestFormMatchesParseForm(t *testing.T) {
	tests := []struct{ method, query, body string }{
		{"GET", "", ""},
		{"GET", "value=a&value=b", ""},
		{"PUT", "value=q", "value=b"},
		{"PUT", "ttl=5", "value=b"},
		{"PUT", "value=q", "value="},
		{"PUT", "", "value"},
		{"PUT", "&&value=x&&", "=y&ttl"},
		{"GET", "a+b=1&val%75e=%41%2b+", ""},
		{"GET", "value=%zz", ""},
		{"GET", "value=%", ""},
		{"GET", "value=%4", ""},
		{"GET", "v%zz=1", ""},
		{"GET", "value=a;b", ""},
		{"PUT", "value=%zz", "value=%yy"},
		{"PUT", "x=;", "value=%yy"},
		{"DELETE", "value=q", "value=b"},
		{"POST", "value=%e2%82%ac", "ttl=%"},
		{"GET", strings.Repeat("a=1&", 10000), ""},
	}
	for _, tt := range tests {
		checkFormMatchesParseForm(t, tt.method, tt.query, tt.body)
	}
}

func FuzzForm(f *testing.F) {
	f.Add("PUT", "value=q&ttl=5", "value=b")
	f.Add("GET", "value=%zz;x", "")
	f.Add("POST", "a+b=%41&&=", "prevIndex=%2")
	f.Fuzz(func(t *testing.T, method, query, body string) {
		switch method {
		case "GET", "PUT", "POST", "DELETE", "HEAD":
		default:
			method = "PUT"
		}
		if strings.ContainsAny(query, "# \r\n\t") {
			return // not a raw query a client could send
		}
		checkFormMatchesParseForm(t, method, query, body)
	})
}
