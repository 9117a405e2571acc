package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// httpError is an error answered as {"message":…} with its status.
type httpError struct {
	status  int
	message string
}

// parseMemberRequest reads the body of a member add or update: a JSON object whose
// peerURLs (any letter case, other fields ignored) must be absolute http(s)/unix(s)
// URLs with host:port and no path. It returns the URLs normalized and sorted.
func parseMemberRequest(r *http.Request) ([]string, *httpError) {
	// The reference lower-cases and trims the media type only when parameters follow it.
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(strings.ToLower(ct[:i]))
	}
	if ct != contentJSON {
		return nil, &httpError{http.StatusUnsupportedMediaType, "Bad Content-Type " + ct + ", accept application/json"}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, &httpError{http.StatusRequestEntityTooLarge, errBodyTooLarge.Error()}
		}
		return nil, &httpError{http.StatusBadRequest, err.Error()}
	}
	var req struct {
		PeerURLs []string `json:"peerURLs"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &httpError{http.StatusBadRequest, err.Error()}
	}
	urls, err := parsePeerURLs(req.PeerURLs)
	if err != nil {
		return nil, &httpError{http.StatusBadRequest, err.Error()}
	}
	return urls, nil
}

// parsePeerURLs validates and normalizes peer URLs with the reference's rules and texts.
func parsePeerURLs(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, errors.New("no valid URLs given")
	}
	out := make([]string, len(in))
	for i, s := range in {
		s = strings.TrimSpace(s)
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		switch u.Scheme {
		case "http", "https", "unix", "unixs":
		default:
			return nil, fmt.Errorf("URL scheme must be http, https, unix, or unixs: %s", s)
		}
		if _, _, err := net.SplitHostPort(u.Host); err != nil {
			return nil, fmt.Errorf(`URL address does not have the form "host:port": %s`, s)
		}
		if u.Path != "" {
			return nil, fmt.Errorf("URL must not contain a path: %s", s)
		}
		out[i] = u.String()
	}
	slices.Sort(out)
	return out, nil
}
