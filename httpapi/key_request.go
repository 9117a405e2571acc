package httpapi

import (
	"errors"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/etcd2/etcd2/store"
)

const (
	keysPrefix = "/v2/keys"
	// storePrefix is the store directory holding the user key space: /v2/keys/foo is the
	// store key /1/foo. It is stripped from keys in bodies and from error causes.
	storePrefix = "/1"
)

// tristate is a parameter that may be absent, true or false (prevExist, refresh).
type tristate uint8

const (
	unset tristate = iota
	isTrue
	isFalse
)

// keyRequest is a keys API request after validation (SPEC §2.2).
type keyRequest struct {
	method    string
	key       string // store key, below storePrefix
	value     string
	prevValue string
	prevIndex uint64
	waitIndex uint64
	ttl       uint64
	hasTTL    bool
	prevExist tristate
	refresh   tristate

	dir, recursive, sorted, wait, quorum, stream, noValueOnSuccess bool
}

// parseKeyRequest validates a keys request in the reference's order, so that the first
// failing parameter is the one reported (SPEC §2.2). Every error is a *store.Error with
// index 0, or errBodyTooLarge.
func parseKeyRequest(r *http.Request, maxBody int64) (keyRequest, error) {
	f, err := readForm(r, maxBody)
	if err != nil {
		if errors.Is(err, errBodyTooLarge) {
			return keyRequest{}, err
		}
		return keyRequest{}, requestError(store.CodeInvalidForm, err.Error())
	}
	kr := keyRequest{method: r.Method, key: storeKey(strings.TrimPrefix(r.URL.Path, keysPrefix))}

	if kr.prevIndex, err = formUint(&f, "prevIndex"); err != nil {
		return keyRequest{}, requestError(store.CodeIndexNaN, `invalid value for "prevIndex"`)
	}
	if kr.waitIndex, err = formUint(&f, "waitIndex"); err != nil {
		return keyRequest{}, requestError(store.CodeIndexNaN, `invalid value for "waitIndex"`)
	}
	bools := [...]struct {
		name string
		dst  *bool
	}{
		{"recursive", &kr.recursive},
		{"sorted", &kr.sorted},
		{"wait", &kr.wait},
		{"dir", &kr.dir},
		{"quorum", &kr.quorum},
		{"stream", &kr.stream},
	}
	for _, b := range bools {
		if *b.dst, err = formBool(&f, b.name); err != nil {
			return keyRequest{}, requestError(store.CodeInvalidField, `invalid value for "`+b.name+`"`)
		}
	}
	if kr.wait && r.Method != http.MethodGet {
		return keyRequest{}, requestError(store.CodeInvalidField, `"wait" can only be used with GET requests`)
	}
	var present bool
	if kr.prevValue, present = f.get("prevValue"); present && kr.prevValue == "" {
		return keyRequest{}, requestError(store.CodePrevValueRequired, `"prevValue" cannot be empty`)
	}
	if kr.noValueOnSuccess, err = formBool(&f, "noValueOnSuccess"); err != nil {
		return keyRequest{}, requestError(store.CodeInvalidField, `invalid value for "noValueOnSuccess"`)
	}
	// An empty ttl means "no TTL"; ttl=0 means "expire now" (SPEC §2.8).
	if s := f.value("ttl"); s != "" {
		if kr.ttl, err = strconv.ParseUint(s, 10, 64); err != nil {
			return keyRequest{}, requestError(store.CodeTTLNaN, `invalid value for "ttl"`)
		}
		kr.hasTTL = true
	}
	// The reference does not quote these two names (SPEC §10.5).
	if kr.prevExist, err = formTristate(&f, "prevExist"); err != nil {
		return keyRequest{}, requestError(store.CodeInvalidField, "invalid value for prevExist")
	}
	if kr.refresh, err = formTristate(&f, "refresh"); err != nil {
		return keyRequest{}, requestError(store.CodeInvalidField, "invalid value for refresh")
	}
	kr.value = f.value("value")
	if kr.refresh == isTrue {
		if kr.value != "" {
			return keyRequest{}, requestError(store.CodeRefreshValue, "A value was provided on a refresh")
		}
		if !kr.hasTTL {
			return keyRequest{}, requestError(store.CodeRefreshTTLRequired, "No TTL value set")
		}
	}
	return kr, nil
}

// requestError is an error found before the store is involved: index 0.
func requestError(code store.Code, cause string) error {
	return store.NewError(code, cause, 0)
}

// storeKey maps the path below /v2/keys to its store key: percent-decoded already,
// cleaned like path.Join("/", p) and placed under storePrefix. Cleaning before prefixing
// keeps ".." from ever leaving the user key space.
func storeKey(p string) string {
	if isCleanKey(p) {
		return storePrefix + p
	}
	c := path.Clean("/" + p)
	if c == "/" {
		return storePrefix
	}
	return storePrefix + c
}

// isCleanKey reports whether p is already what path.Clean("/"+p) returns and is not the
// root: rooted, no empty, "." or ".." components, no trailing slash.
func isCleanKey(p string) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for i := 1; i < len(p); {
		end := strings.IndexByte(p[i:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += i
		}
		switch p[i:end] {
		case "", ".", "..":
			return false
		}
		i = end + 1
	}
	return true
}

// formUint parses an unsigned parameter; absent is 0, present but empty is an error.
func formUint(f *form, name string) (uint64, error) {
	s, ok := f.get(name)
	if !ok {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// formBool parses a boolean parameter with strconv.ParseBool; absent is false, present
// but empty is an error.
func formBool(f *form, name string) (bool, error) {
	s, ok := f.get(name)
	if !ok {
		return false, nil
	}
	return strconv.ParseBool(s)
}

func formTristate(f *form, name string) (tristate, error) {
	s, ok := f.get(name)
	if !ok {
		return unset, nil
	}
	b, err := strconv.ParseBool(s)
	switch {
	case err != nil:
		return unset, err
	case b:
		return isTrue, nil
	default:
		return isFalse, nil
	}
}
