package store

import (
	"errors"
	"net/http"
	"strconv"
)

// Code is a v2 error code (SPEC §2.11), the errorCode field of an error body.
type Code int

// The full v2 code table. Only 100–110, 201–203, 209–212, 300, 301, 400 and 401 are ever
// emitted; the others are kept so that the table matches the reference's.
const (
	CodeKeyNotFound      Code = 100
	CodeTestFailed       Code = 101
	CodeNotFile          Code = 102
	CodeNoMorePeer       Code = 103
	CodeNotDir           Code = 104
	CodeNodeExist        Code = 105
	CodeKeyIsPreserved   Code = 106
	CodeRootReadOnly     Code = 107
	CodeDirNotEmpty      Code = 108
	CodeExistingPeerAddr Code = 109
	CodeUnauthorized     Code = 110

	CodeValueRequired        Code = 200
	CodePrevValueRequired    Code = 201
	CodeTTLNaN               Code = 202
	CodeIndexNaN             Code = 203
	CodeValueOrTTLRequired   Code = 204
	CodeTimeoutNaN           Code = 205
	CodeNameRequired         Code = 206
	CodeIndexOrValueRequired Code = 207
	CodeIndexValueMutex      Code = 208
	CodeInvalidField         Code = 209
	CodeInvalidForm          Code = 210
	CodeRefreshValue         Code = 211
	CodeRefreshTTLRequired   Code = 212

	CodeRaftInternal Code = 300
	CodeLeaderElect  Code = 301

	CodeWatcherCleared     Code = 400
	CodeEventIndexCleared  Code = 401
	CodeStandbyInternal    Code = 402
	CodeInvalidActiveSize  Code = 403
	CodeInvalidRemoveDelay Code = 404

	CodeClientInternal Code = 500
)

// codeInfo is one row of the code table: the message clients see and the HTTP status the
// HTTP layer answers with. Both live here so that they cannot drift apart (issue item 4).
type codeInfo struct {
	message string
	status  int
}

var codeTable = map[Code]codeInfo{
	CodeKeyNotFound:      {"Key not found", http.StatusNotFound},
	CodeTestFailed:       {"Compare failed", http.StatusPreconditionFailed},
	CodeNotFile:          {"Not a file", http.StatusForbidden},
	CodeNoMorePeer:       {"Reached the max number of peers in the cluster", http.StatusBadRequest},
	CodeNotDir:           {"Not a directory", http.StatusBadRequest},
	CodeNodeExist:        {"Key already exists", http.StatusPreconditionFailed},
	CodeKeyIsPreserved:   {"The prefix of given key is a keyword in etcd", http.StatusBadRequest},
	CodeRootReadOnly:     {"Root is read only", http.StatusBadRequest},
	CodeDirNotEmpty:      {"Directory not empty", http.StatusForbidden},
	CodeExistingPeerAddr: {"Peer address has existed", http.StatusBadRequest},
	CodeUnauthorized:     {"The request requires user authentication", http.StatusUnauthorized},

	CodeValueRequired:        {"Value is Required in POST form", http.StatusBadRequest},
	CodePrevValueRequired:    {"PrevValue is Required in POST form", http.StatusBadRequest},
	CodeTTLNaN:               {"The given TTL in POST form is not a number", http.StatusBadRequest},
	CodeIndexNaN:             {"The given index in POST form is not a number", http.StatusBadRequest},
	CodeValueOrTTLRequired:   {"Value or TTL is required in POST form", http.StatusBadRequest},
	CodeTimeoutNaN:           {"The given timeout in POST form is not a number", http.StatusBadRequest},
	CodeNameRequired:         {"Name is required in POST form", http.StatusBadRequest},
	CodeIndexOrValueRequired: {"Index or value is required", http.StatusBadRequest},
	CodeIndexValueMutex:      {"Index and value cannot both be specified", http.StatusBadRequest},
	CodeInvalidField:         {"Invalid field", http.StatusBadRequest},
	CodeInvalidForm:          {"Invalid POST form", http.StatusBadRequest},
	CodeRefreshValue:         {"Value provided on refresh", http.StatusBadRequest},
	CodeRefreshTTLRequired:   {"A TTL must be provided on refresh", http.StatusBadRequest},

	CodeRaftInternal: {"Raft Internal Error", http.StatusInternalServerError},
	CodeLeaderElect:  {"During Leader Election", http.StatusInternalServerError},

	CodeWatcherCleared:     {"watcher is cleared due to etcd recovery", http.StatusBadRequest},
	CodeEventIndexCleared:  {"The event in requested index is outdated and cleared", http.StatusBadRequest},
	CodeStandbyInternal:    {"Standby Internal Error", http.StatusBadRequest},
	CodeInvalidActiveSize:  {"Invalid active size", http.StatusBadRequest},
	CodeInvalidRemoveDelay: {"Standby remove delay", http.StatusBadRequest},

	CodeClientInternal: {"Client Internal Error", http.StatusBadRequest},
}

// Message returns the fixed message text of the code, or "" for a code outside the table.
func (c Code) Message() string { return codeTable[c].message }

// HTTPStatus returns the HTTP status the reference answers an error of this code with.
// Codes outside the table answer 400, as the reference does.
func (c Code) HTTPStatus() int {
	if info, ok := codeTable[c]; ok {
		return info.status
	}
	return http.StatusBadRequest
}

// Error is the v2 wire error: {"errorCode":…,"message":…,"cause":…,"index":…}.
// Index is the store index at the time of the failure (0 for errors found before the store
// is involved).
type Error struct {
	Code    Code
	Message string
	Cause   string
	Index   uint64
}

// NewError returns the error for code with the table's message. It is the one constructor,
// so that a message never differs from the table.
func NewError(code Code, cause string, index uint64) *Error {
	return &Error{Code: code, Message: code.Message(), Cause: cause, Index: index}
}

// Error formats the error as etcdctl prints it: "<code>: <message> (<cause>) [<index>]".
func (e *Error) Error() string {
	b := strconv.AppendInt(nil, int64(e.Code), 10)
	b = append(b, ": "...)
	b = append(b, e.Message...)
	b = append(b, " ("...)
	b = append(b, e.Cause...)
	b = append(b, ") ["...)
	b = strconv.AppendUint(b, e.Index, 10)
	return string(append(b, ']'))
}

// ErrWatcherOverflow ends a stream watcher whose consumer fell more than the watcher
// buffer behind: the store never blocks its applier on a watcher and never drops an event
// silently, so it ends the watcher and says why.
var ErrWatcherOverflow = errors.New("store: watcher buffer overflow")

// ErrBadSnapshot wraps every reason a snapshot cannot be recovered.
var ErrBadSnapshot = errors.New("store: bad snapshot")

// ErrBadCommand wraps every reason a command's binary encoding cannot be decoded.
var ErrBadCommand = errors.New("store: bad command encoding")
