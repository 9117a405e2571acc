package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// member is one entry of /v2/members.
type member struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
}

// messageError is the {"message": "..."} error body of the members and auth APIs.
type messageError struct {
	Message string `json:"message"`
}

func (e *messageError) Error() string { return e.Message }

// statusError is the reference's answer to a status it does not expect.
func statusError(code int) error { return fmt.Errorf("unexpected status code %d", code) }

func membersRequest(method string, body []byte, elems ...string) *apiRequest {
	r := &apiRequest{
		method: method,
		target: func(ep url.URL) *url.URL { return joinURL(ep, append([]string{"/v2/members"}, elems...)...) },
	}
	if body != nil {
		r.body, r.hasBody, r.contentType = string(body), true, "application/json"
	}
	return r
}

func (c *client) listMembers(ctx context.Context) ([]member, error) {
	resp, body, err := c.do(ctx, membersRequest(http.MethodGet, nil), false)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp.StatusCode)
	}
	var list struct{ Members []member }
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	if list.Members == nil {
		return []member{}, nil
	}
	return list.Members, nil
}

func (c *client) leader(ctx context.Context) (*member, error) {
	resp, body, err := c.do(ctx, membersRequest(http.MethodGet, nil, "leader"), false)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp.StatusCode)
	}
	var m member
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// addMember POSTs one peer URL. 409 carries a message; other failures are statuses.
func (c *client) addMember(ctx context.Context, peerURL string) (*member, error) {
	urls, err := parsePeerURLs([]string{peerURL})
	if err != nil {
		return nil, err
	}
	resp, body, err := c.do(ctx, membersRequest(http.MethodPost, peerURLsBody(urls)), false)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusCreated:
		var m member
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		return &m, nil
	case http.StatusConflict:
		return nil, decodeMessage(body)
	default:
		return nil, statusError(resp.StatusCode)
	}
}

func (c *client) removeMember(ctx context.Context, id string) error {
	resp, _, err := c.do(ctx, membersRequest(http.MethodDelete, nil, id), false)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusGone {
		return statusError(resp.StatusCode)
	}
	return nil
}

func (c *client) updateMember(ctx context.Context, id string, peerURLs []string) error {
	urls, err := parsePeerURLs(peerURLs)
	if err != nil {
		return err
	}
	resp, body, err := c.do(ctx, membersRequest(http.MethodPut, peerURLsBody(urls), id), false)
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil
	case http.StatusNotFound, http.StatusConflict:
		return decodeMessage(body)
	default:
		return statusError(resp.StatusCode)
	}
}

// decodeMessage turns a {"message": ...} body into its error; a body that does not
// decode reports the decoding error, as the reference does.
func decodeMessage(body []byte) error {
	var me messageError
	if err := json.Unmarshal(body, &me); err != nil {
		return err
	}
	return &me
}

func peerURLsBody(urls []string) []byte {
	b, _ := json.Marshal(struct {
		PeerURLs []string `json:"peerURLs"`
	}{urls})
	return b
}

// parsePeerURLs validates peer URLs the way the reference does before sending them:
// http(s) or unix(s) scheme, host:port, no path; the result is sorted.
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
