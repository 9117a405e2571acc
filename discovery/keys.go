package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// requestTimeout bounds each read and the registration, as the reference client's
// DefaultRequestTimeout does. Watches are bounded only by the caller's context.
const requestTimeout = 5 * time.Second

// node is a keys API node, reduced to what the protocol reads.
type node struct {
	Key           string  `json:"key"`
	Value         string  `json:"value"`
	Dir           bool    `json:"dir"`
	Nodes         []*node `json:"nodes"`
	CreatedIndex  uint64  `json:"createdIndex"`
	ModifiedIndex uint64  `json:"modifiedIndex"`
}

// response is a successful keys answer; Index is its X-Etcd-Index header.
type response struct {
	Action string `json:"action"`
	Node   *node  `json:"node"`
	Index  uint64 `json:"-"`
}

// keysClient sends the protocol's v2 keys requests to one endpoint (the discovery URL's
// scheme and host). Keys are paths below the endpoint, with no /v2/keys added: the
// discovery URL already names the directory.
type keysClient struct {
	endpoint url.URL
	hc       *http.Client
}

// keyURL joins the endpoint and key the way the reference client does: one slash
// between them, the path cleaned, a trailing slash kept.
func (kc *keysClient) keyURL(key string, q url.Values) string {
	u := kc.endpoint
	p := u.Path + "/" + strings.TrimPrefix(key, "/")
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	u.Path = clean
	u.RawQuery = q.Encode()
	return u.String()
}

// get reads key (not recursively), with the reference client's query parameters.
func (kc *keysClient) get(ctx context.Context, key string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	q := url.Values{"recursive": {"false"}, "sorted": {"false"}, "quorum": {"false"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, kc.keyURL(key, q), nil)
	if err != nil {
		return nil, err
	}
	return kc.do(req)
}

// create sets key to value only if it does not exist yet (prevExist=false).
func (kc *keysClient) create(ctx context.Context, key, value string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	body := url.Values{"value": {value}}.Encode()
	q := url.Values{"prevExist": {"false"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, kc.keyURL(key, q), strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return kc.do(req)
}

// watch waits for the first event on key (and below it when recursive) at or after
// waitIndex. A 200 with an empty body (a long poll the server gave up on) is asked again,
// as the reference client does.
func (kc *keysClient) watch(ctx context.Context, key string, waitIndex uint64, recursive bool) (*response, error) {
	q := url.Values{
		"wait":      {"true"},
		"waitIndex": {strconv.FormatUint(waitIndex, 10)},
		"recursive": {strconv.FormatBool(recursive)},
	}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, kc.keyURL(key, q), nil)
		if err != nil {
			return nil, err
		}
		resp, err := kc.do(req)
		if err == errEmptyBody {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		return resp, err
	}
}

// errEmptyBody is a 200 or 201 without a body.
var errEmptyBody = fmt.Errorf("client: response body is empty")

// do sends req and classifies the answer: transport failures and 5xx statuses are an
// *UnavailableError (the protocol retries them), other failures a *KeysError, or
// errInvalidJSON when the body is not a keys answer at all.
func (kc *keysClient) do(req *http.Request) (*response, error) {
	hr, err := kc.hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &UnavailableError{Errors: []error{err}}
	}
	body, err := io.ReadAll(hr.Body)
	hr.Body.Close()
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &UnavailableError{Errors: []error{err}}
	}
	ep := kc.endpoint.Scheme + "://" + kc.endpoint.Host
	switch {
	case hr.StatusCode == http.StatusInternalServerError || hr.StatusCode == http.StatusServiceUnavailable:
		return nil, &UnavailableError{Errors: []error{fmt.Errorf("client: etcd member %s has no leader", ep)}}
	case hr.StatusCode/100 == 5:
		return nil, &UnavailableError{Errors: []error{
			fmt.Errorf("client: etcd member %s returns server error [%s]", ep, http.StatusText(hr.StatusCode))}}
	case hr.StatusCode == http.StatusOK || hr.StatusCode == http.StatusCreated:
		if len(body) == 0 {
			return nil, errEmptyBody
		}
		var r response
		if err := json.Unmarshal(body, &r); err != nil || r.Node == nil {
			return nil, errInvalidJSON
		}
		if h := hr.Header.Get("X-Etcd-Index"); h != "" {
			if r.Index, err = strconv.ParseUint(h, 10, 64); err != nil {
				return nil, fmt.Errorf("discovery: bad X-Etcd-Index %q", h)
			}
		}
		return &r, nil
	default:
		var ke KeysError
		if err := json.Unmarshal(body, &ke); err != nil {
			return nil, errInvalidJSON
		}
		return nil, &ke
	}
}
