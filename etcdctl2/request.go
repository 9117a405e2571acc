package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// apiRequest describes one API call independently of the endpoint it goes to.
type apiRequest struct {
	method string
	// target builds the request URL on an endpoint.
	target func(ep url.URL) *url.URL
	// body is sent when hasBody is set (an empty form still counts: the reference's
	// --debug line then ends in -d "").
	body        string
	hasBody     bool
	contentType string
	// wait marks a watch: no header timeout applies.
	wait bool
}

// build makes the HTTP request for ep, or for location after a redirect.
func (r *apiRequest) build(ctx context.Context, ep url.URL, location *url.URL) (*http.Request, error) {
	var body io.Reader
	if r.hasBody {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.target(ep).String(), body)
	if err != nil {
		return nil, err
	}
	if location != nil {
		loc := *location
		req.URL = &loc
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	return req, nil
}

const formType = "application/x-www-form-urlencoded"

// keysURL is the URL of key under /v2/keys on ep: the key gains a leading slash and the
// whole path is cleaned, keeping a trailing slash (the reference's CanonicalURLPath).
func keysURL(ep url.URL, key string, query url.Values) *url.URL {
	if key != "" && key[0] != '/' {
		key = "/" + key
	}
	ep.Path = canonicalURLPath(ep.Path + "/v2/keys" + key)
	ep.RawPath = ""
	ep.RawQuery = query.Encode()
	return &ep
}

// canonicalURLPath cleans p as an absolute path, keeping a trailing slash.
func canonicalURLPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// joinURL is the URL of ep with elems joined to its path (members and auth calls).
func joinURL(ep url.URL, elems ...string) *url.URL {
	ep.Path = path.Join(append([]string{ep.Path}, elems...)...)
	ep.RawPath = ""
	return &ep
}
