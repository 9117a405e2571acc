package store

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestCodeTable(t *testing.T) {
	tests := []struct {
		code    Code
		message string
		status  int
	}{
		{CodeKeyNotFound, "Key not found", 404},
		{CodeTestFailed, "Compare failed", 412},
		{CodeNotFile, "Not a file", 403},
		{CodeNoMorePeer, "Reached the max number of peers in the cluster", 400},
		{CodeNotDir, "Not a directory", 400},
		{CodeNodeExist, "Key already exists", 412},
		{CodeKeyIsPreserved, "The prefix of given key is a keyword in etcd", 400},
		{CodeRootReadOnly, "Root is read only", 400},
		{CodeDirNotEmpty, "Directory not empty", 403},
		{CodeExistingPeerAddr, "Peer address has existed", 400},
		{CodeUnauthorized, "The request requires user authentication", 401},
		{CodeValueRequired, "Value is Required in POST form", 400},
		{CodePrevValueRequired, "PrevValue is Required in POST form", 400},
		{CodeTTLNaN, "The given TTL in POST form is not a number", 400},
		{CodeIndexNaN, "The given index in POST form is not a number", 400},
		{CodeValueOrTTLRequired, "Value or TTL is required in POST form", 400},
		{CodeTimeoutNaN, "The given timeout in POST form is not a number", 400},
		{CodeNameRequired, "Name is required in POST form", 400},
		{CodeIndexOrValueRequired, "Index or value is required", 400},
		{CodeIndexValueMutex, "Index and value cannot both be specified", 400},
		{CodeInvalidField, "Invalid field", 400},
		{CodeInvalidForm, "Invalid POST form", 400},
		{CodeRefreshValue, "Value provided on refresh", 400},
		{CodeRefreshTTLRequired, "A TTL must be provided on refresh", 400},
		{CodeRaftInternal, "Raft Internal Error", 500},
		{CodeLeaderElect, "During Leader Election", 500},
		{CodeWatcherCleared, "watcher is cleared due to etcd recovery", 400},
		{CodeEventIndexCleared, "The event in requested index is outdated and cleared", 400},
		{CodeStandbyInternal, "Standby Internal Error", 400},
		{CodeInvalidActiveSize, "Invalid active size", 400},
		{CodeInvalidRemoveDelay, "Standby remove delay", 400},
		{CodeClientInternal, "Client Internal Error", 400},
	}
	if len(tests) != len(codeTable) {
		t.Errorf("table has %d codes, test has %d", len(codeTable), len(tests))
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(int(tt.code)), func(t *testing.T) {
			if got := tt.code.Message(); got != tt.message {
				t.Errorf("Message() = %q, want %q", got, tt.message)
			}
			if got := tt.code.HTTPStatus(); got != tt.status {
				t.Errorf("HTTPStatus() = %d, want %d", got, tt.status)
			}
			if e := NewError(tt.code, "c", 7); e.Message != tt.message || e.Code != tt.code || e.Cause != "c" || e.Index != 7 {
				t.Errorf("NewError = %+v", e)
			}
		})
	}
	if got := Code(999).HTTPStatus(); got != http.StatusBadRequest {
		t.Errorf("unknown code status = %d, want 400", got)
	}
}

func TestErrorJSON(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		trim string
		want string
	}{
		{"with cause", NewError(CodeKeyNotFound, "/foo", 4), "", `{"errorCode":100,"message":"Key not found","cause":"/foo","index":4}` + "\n"},
		{"no cause", NewError(CodeNotFile, "", 10), "", `{"errorCode":102,"message":"Not a file","index":10}` + "\n"},
		{"trimmed cause", NewError(CodeKeyNotFound, "/1/a", 3), "/1", `{"errorCode":100,"message":"Key not found","cause":"/a","index":3}` + "\n"},
		{"cause equal to trim is omitted", NewError(CodeNotFile, "/1", 10), "/1", `{"errorCode":102,"message":"Not a file","index":10}` + "\n"},
		{"non-key cause untouched", NewError(CodeTestFailed, "[a != b]", 9), "/1", `{"errorCode":101,"message":"Compare failed","cause":"[a != b]","index":9}` + "\n"},
		{"401 cause", NewError(CodeEventIndexCleared, "the requested history has been cleared [148/10]", 1147), "/1",
			`{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [148/10]","index":1147}` + "\n"},
		{"escaped cause", NewError(CodeKeyNotFound, "/<x>", 1), "", `{"errorCode":100,"message":"Key not found","cause":"/\u003cx\u003e","index":1}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.err.AppendJSONTrim(nil, tt.trim)); got != tt.want {
				t.Errorf("AppendJSONTrim = %s, want %s", got, tt.want)
			}
			if tt.trim == "" {
				if got := string(tt.err.AppendJSON(nil)); got != tt.want {
					t.Errorf("AppendJSON = %s, want %s", got, tt.want)
				}
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	var err error = NewError(CodeKeyNotFound, "/nokey", 21)
	if got, want := err.Error(), "100: Key not found (/nokey) [21]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var se *Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &se) || se.Code != CodeKeyNotFound {
		t.Errorf("errors.As through a wrap failed: %v", se)
	}
}
