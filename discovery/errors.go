package discovery

import (
	"errors"
	"fmt"
)

// Errors of the discovery protocol. The texts are the reference's: operators grep for
// them, and the server prints them in its last line.
var (
	ErrInvalidURL           = errors.New("discovery: invalid URL")
	ErrBadSizeKey           = errors.New("discovery: size key is bad")
	ErrSizeNotFound         = errors.New("discovery: size key not found")
	ErrDuplicateID          = errors.New("discovery: found duplicate id")
	ErrDuplicateName        = errors.New("discovery: found duplicate name")
	ErrFullCluster          = errors.New("discovery: cluster is full")
	ErrTooManyRetries       = errors.New("discovery: too many retries")
	ErrBadDiscoveryEndpoint = errors.New("discovery: bad discovery endpoint")
)

// errInvalidJSON is the reference client's answer to a body that is not a keys
// response; the size lookup turns it into ErrBadDiscoveryEndpoint.
var errInvalidJSON = errors.New("client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint.")

// v2 error codes the protocol reacts to.
const (
	codeKeyNotFound       = 100
	codeNodeExist         = 105
	codeEventIndexCleared = 401
)

// KeysError is an error answer of the keys API, printed as the reference's v2 client
// prints it ("100: Key not found (/t) [3]").
type KeysError struct {
	Code    int    `json:"errorCode"`
	Message string `json:"message"`
	Cause   string `json:"cause"`
	Index   uint64 `json:"index"`
}

func (e *KeysError) Error() string {
	return fmt.Sprintf("%v: %v (%v) [%v]", e.Code, e.Message, e.Cause, e.Index)
}

// sizeNotFoundError is a missing size key. The reference's client never recognises the
// case (it tests for the wrong error type) and shows the keys error itself, so the text
// stays the keys error's while errors.Is still finds ErrSizeNotFound.
type sizeNotFoundError struct{ *KeysError }

func (e sizeNotFoundError) Is(target error) bool { return target == ErrSizeNotFound }

func (e sizeNotFoundError) Unwrap() error { return e.KeysError }

// UnavailableError collects the failures of one request that the protocol retries:
// transport errors and 5xx answers. Its text is the reference client's cluster error
// without the newline that client puts after each failure (our last line is one line).
type UnavailableError struct {
	Errors []error
}

func (e *UnavailableError) Error() string {
	s := "client: etcd cluster is unavailable or misconfigured"
	for i, err := range e.Errors {
		s += fmt.Sprintf("; error #%d: %s", i, err)
	}
	return s
}
