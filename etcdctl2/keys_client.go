package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// keysResponse is a keys API answer as the reference client library sees it. Its JSON
// encoding is the json output format (SPEC 9.2): the field order and the null/omitted
// fields below are what scripts parsing `-o json` rely on.
type keysResponse struct {
	Action   string `json:"action"`
	Node     *node  `json:"node"`
	PrevNode *node  `json:"prevNode"`
	// Index is the X-Etcd-Index header.
	Index uint64 `json:"-"`
}

// node is a key or directory. Unlike the server's JSON, value is always present and
// nodes is null rather than absent.
type node struct {
	Key           string     `json:"key"`
	Dir           bool       `json:"dir,omitempty"`
	Value         string     `json:"value"`
	Nodes         []*node    `json:"nodes"`
	CreatedIndex  uint64     `json:"createdIndex"`
	ModifiedIndex uint64     `json:"modifiedIndex"`
	Expiration    *time.Time `json:"expiration,omitempty"`
	TTL           int64      `json:"ttl,omitempty"`
}

// keysError is a v2 error answer; its text is the "<code>: <message> (<cause>)
// [<index>]" of the CLI's error line.
type keysError struct {
	Code    int    `json:"errorCode"`
	Message string `json:"message"`
	Cause   string `json:"cause"`
	Index   uint64 `json:"index"`
}

func (e *keysError) Error() string {
	return fmt.Sprintf("%v: %v (%v) [%v]", e.Code, e.Message, e.Cause, e.Index)
}

// prevExist is the prevExist condition of a set: "", "true" or "false".
type prevExist string

const (
	prevIgnore  prevExist = ""
	prevExists  prevExist = "true"
	prevNoExist prevExist = "false"
)

// setOptions are the conditions and attributes of a PUT.
type setOptions struct {
	prevValue string
	prevIndex uint64
	prevExist prevExist
	ttl       time.Duration
	dir       bool
}

// deleteOptions are the conditions and scope of a DELETE.
type deleteOptions struct {
	prevValue string
	prevIndex uint64
	dir       bool
	recursive bool
}

// get reads key. The reference always sends all three flags, false or not (SPEC 9.1).
func (c *client) get(ctx context.Context, key string, recursive, sorted, quorum bool) (*keysResponse, error) {
	q := url.Values{}
	q.Set("recursive", strconv.FormatBool(recursive))
	q.Set("sorted", strconv.FormatBool(sorted))
	q.Set("quorum", strconv.FormatBool(quorum))
	r := &apiRequest{method: http.MethodGet, target: func(ep url.URL) *url.URL { return keysURL(ep, key, q) }}
	return c.keysCall(ctx, r, false)
}

// set writes key: conditions in the query, value and TTL in the form body. A directory
// sends no value (and no prevValue); a create-only set is never retried on another
// member.
func (c *client) set(ctx context.Context, key, value string, o setOptions) (*keysResponse, error) {
	q, form := url.Values{}, url.Values{}
	if o.dir {
		q.Set("dir", "true")
	} else {
		if o.prevValue != "" {
			q.Set("prevValue", o.prevValue)
		}
		form.Add("value", value)
	}
	if o.prevIndex != 0 {
		q.Set("prevIndex", strconv.FormatUint(o.prevIndex, 10))
	}
	if o.prevExist != prevIgnore {
		q.Set("prevExist", string(o.prevExist))
	}
	if o.ttl > 0 {
		form.Add("ttl", strconv.FormatUint(uint64(o.ttl.Seconds()), 10))
	}
	r := &apiRequest{
		method:      http.MethodPut,
		target:      func(ep url.URL) *url.URL { return keysURL(ep, key, q) },
		body:        form.Encode(),
		hasBody:     true,
		contentType: formType,
	}
	return c.keysCall(ctx, r, o.prevExist == prevNoExist)
}

// createInOrder POSTs value under dir, creating an in-order key.
func (c *client) createInOrder(ctx context.Context, dir, value string, ttl time.Duration) (*keysResponse, error) {
	form := url.Values{}
	form.Add("value", value)
	if ttl > 0 {
		form.Add("ttl", strconv.FormatUint(uint64(ttl.Seconds()), 10))
	}
	r := &apiRequest{
		method:      http.MethodPost,
		target:      func(ep url.URL) *url.URL { return keysURL(ep, dir, url.Values{}) },
		body:        form.Encode(),
		hasBody:     true,
		contentType: formType,
	}
	return c.keysCall(ctx, r, false)
}

// del deletes key; deletes are never retried on another member.
func (c *client) del(ctx context.Context, key string, o deleteOptions) (*keysResponse, error) {
	q := url.Values{}
	if o.prevValue != "" {
		q.Set("prevValue", o.prevValue)
	}
	if o.prevIndex != 0 {
		q.Set("prevIndex", strconv.FormatUint(o.prevIndex, 10))
	}
	if o.dir {
		q.Set("dir", "true")
	}
	if o.recursive {
		q.Set("recursive", "true")
	}
	r := &apiRequest{
		method:      http.MethodDelete,
		target:      func(ep url.URL) *url.URL { return keysURL(ep, key, q) },
		contentType: formType,
	}
	return c.keysCall(ctx, r, true)
}

// watcher follows the changes of a key, one event per next call, resuming after the
// last event it returned.
type watcher struct {
	c         *client
	key       string
	recursive bool
	waitIndex uint64
}

// watch starts a watcher; afterIndex > 0 replays events from afterIndex+1.
func (c *client) watch(key string, afterIndex uint64, recursive bool) *watcher {
	w := &watcher{c: c, key: key, recursive: recursive}
	if afterIndex > 0 {
		w.waitIndex = afterIndex + 1
	}
	return w
}

// next waits for the next event. An empty answer (the server ended the poll without an
// event) is retried.
func (w *watcher) next(ctx context.Context) (*keysResponse, error) {
	for {
		q := url.Values{}
		q.Set("wait", "true")
		q.Set("waitIndex", strconv.FormatUint(w.waitIndex, 10))
		q.Set("recursive", strconv.FormatBool(w.recursive))
		r := &apiRequest{method: http.MethodGet, wait: true, target: func(ep url.URL) *url.URL { return keysURL(ep, w.key, q) }}
		resp, err := w.c.keysCall(ctx, r, false)
		if err == errEmptyBody {
			continue
		}
		if err != nil {
			return nil, err
		}
		w.waitIndex = resp.Node.ModifiedIndex + 1
		return resp, nil
	}
}

// keysCall sends r and decodes the answer: 200 and 201 are responses, anything else
// an error body.
func (c *client) keysCall(ctx context.Context, r *apiRequest, oneShot bool) (*keysResponse, error) {
	resp, body, err := c.do(ctx, r, oneShot)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated:
		if len(body) == 0 {
			return nil, errEmptyBody
		}
		var kr keysResponse
		if err := json.Unmarshal(body, &kr); err != nil || kr.Node == nil {
			return nil, errInvalidJSON
		}
		if h := resp.Header.Get("X-Etcd-Index"); h != "" {
			kr.Index, err = strconv.ParseUint(h, 10, 64)
			if err != nil {
				return nil, err
			}
		}
		return &kr, nil
	default:
		var ke keysError
		if err := json.Unmarshal(body, &ke); err != nil {
			return nil, errInvalidJSON
		}
		return nil, &ke
	}
}
