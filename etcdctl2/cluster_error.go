package main

import (
	"errors"
	"fmt"
	"strings"
)

// Client errors with the reference client library's texts: scripts match on them.
var (
	errNoEndpoints        = errors.New("client: no endpoints available")
	errClusterUnavailable = errors.New("client: etcd cluster is unavailable or misconfigured")
	errTooManyRedirects   = errors.New("client: too many redirects")
	errTooManyRedirChecks = errors.New("client: too many redirect checks")
	errInvalidJSON        = errors.New("client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint")
	errEmptyBody          = errors.New("client: response body is empty")
)

// clusterError collects the failure of every endpoint tried for one request.
type clusterError struct {
	errs []error
}

// Error keeps the reference's layout, including the line break after every endpoint's
// error, which makes the "Error:" line span several lines.
func (e *clusterError) Error() string {
	var b strings.Builder
	b.WriteString(errClusterUnavailable.Error())
	for i, err := range e.errs {
		fmt.Fprintf(&b, "; error #%d: %s\n", i, err)
	}
	return b.String()
}

// detail lists the endpoint errors one per line (each ending in a line break).
func (e *clusterError) detail() string {
	var b strings.Builder
	for i, err := range e.errs {
		fmt.Fprintf(&b, "error #%d: %s\n", i, err)
	}
	return b.String()
}
