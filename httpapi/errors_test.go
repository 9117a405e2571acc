package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/etcd2/etcd2/store"
)

func TestErrorStatus(t *testing.T) {
	tests := []struct {
		code store.Code
		want int
	}{
		{store.CodeKeyNotFound, 404},
		{store.CodeTestFailed, 412},
		{store.CodeNotFile, 403},
		{store.CodeNoMorePeer, 400},
		{store.CodeNotDir, 400},
		{store.CodeNodeExist, 412},
		{store.CodeKeyIsPreserved, 400},
		{store.CodeRootReadOnly, 400},
		{store.CodeDirNotEmpty, 403},
		{store.CodeExistingPeerAddr, 400},
		{store.CodeUnauthorized, 401},
		{store.CodeValueRequired, 400},
		{store.CodePrevValueRequired, 400},
		{store.CodeTTLNaN, 400},
		{store.CodeIndexNaN, 400},
		{store.CodeValueOrTTLRequired, 400},
		{store.CodeTimeoutNaN, 400},
		{store.CodeNameRequired, 400},
		{store.CodeIndexOrValueRequired, 400},
		{store.CodeIndexValueMutex, 400},
		{store.CodeInvalidField, 400},
		{store.CodeInvalidForm, 400},
		{store.CodeRefreshValue, 400},
		{store.CodeRefreshTTLRequired, 400},
		{store.CodeRaftInternal, 500},
		{store.CodeLeaderElect, 500},
		{store.CodeWatcherCleared, 400},
		{store.CodeEventIndexCleared, 400},
		{store.CodeStandbyInternal, 400},
		{store.CodeInvalidActiveSize, 400},
		{store.CodeInvalidRemoveDelay, 400},
		{store.CodeClientInternal, 400},
	}
	for _, tt := range tests {
		if got := errorStatus(tt.code); got != tt.want {
			t.Errorf("errorStatus(%d) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestKeyError(t *testing.T) {
	live := httptest.NewRequest("PUT", "/v2/keys/k", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := live.WithContext(ctx)
	tests := []struct {
		name       string
		r          *http.Request
		err        error
		wantAnswer bool
		wantStatus int
		wantCode   store.Code
		wantCause  string
	}{
		{"store error", live, store.NewError(store.CodeNodeExist, "/1/k", 9), true, 412, store.CodeNodeExist, "/1/k"},
		{"wrapped store error", live, fmt.Errorf("x: %w", store.NewError(store.CodeKeyNotFound, "/1/k", 3)), true, 404, store.CodeKeyNotFound, "/1/k"},
		{"timeout", live, errors.New("etcdserver: request timed out"), true, 500, store.CodeRaftInternal, "etcdserver: request timed out"},
		{"bare deadline", live, context.DeadlineExceeded, true, 500, store.CodeRaftInternal, "etcdserver: request timed out"},
		{"stopped", live, errors.New("etcdserver: server stopped"), true, 500, store.CodeRaftInternal, "etcdserver: server stopped"},
		{"canceled while the client is there", live, context.Canceled, true, 500, store.CodeRaftInternal, "context canceled"},
		{"client left", gone, context.Canceled, false, 0, 0, ""},
		{"body too large", live, errBodyTooLarge, true, 413, store.CodeInvalidForm, "http: request body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se, status, answer := keyError(tt.r, tt.err)
			if answer != tt.wantAnswer {
				t.Fatalf("keyError(%v) answer = %v, want %v", tt.err, answer, tt.wantAnswer)
			}
			if !answer {
				return
			}
			if status != tt.wantStatus || se.Code != tt.wantCode || se.Cause != tt.wantCause {
				t.Errorf("keyError(%v) = %d %d %q, want %d %d %q", tt.err, status, se.Code, se.Cause, tt.wantStatus, tt.wantCode, tt.wantCause)
			}
			if se.Code == store.CodeRaftInternal && (se.Index != 0 || se.Message != "Raft Internal Error") {
				t.Errorf("keyError(%v) = index %d message %q, want index 0 and the 300 message", tt.err, se.Index, se.Message)
			}
		})
	}
}
