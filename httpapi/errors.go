package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/etcd2/etcd2/store"
)

// errorStatus is the HTTP status of a v2 error code (SPEC §2.11, §10.4): 401 travels as
// HTTP 400, 104 and 107 are 400, 102 and 108 are 403, 101 and 105 are 412.
func errorStatus(c store.Code) int {
	switch c {
	case store.CodeKeyNotFound:
		return http.StatusNotFound
	case store.CodeTestFailed, store.CodeNodeExist:
		return http.StatusPreconditionFailed
	case store.CodeNotFile, store.CodeDirNotEmpty:
		return http.StatusForbidden
	case store.CodeUnauthorized:
		return http.StatusUnauthorized
	case store.CodeRaftInternal, store.CodeLeaderElect:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

// timeoutCause is the reference's text for a request that ran out of time.
const timeoutCause = "etcdserver: request timed out"

// replicationError maps a failure of the replicated path (anything Server.Do or
// LinearizableRead returns that is not a *store.Error) to the client's error: code 300,
// HTTP 500, index 0, the failure's text as cause. The raft side already uses the
// reference's texts; a bare context deadline gets the reference's timeout text too.
func replicationError(err error) *store.Error {
	cause := err.Error()
	if err == context.DeadlineExceeded {
		cause = timeoutCause
	}
	return store.NewError(store.CodeRaftInternal, cause, 0)
}

// keyError classifies an error met while serving a keys request. It returns the wire
// error and its HTTP status, and false when no answer is due because the client left.
func keyError(r *http.Request, err error) (*store.Error, int, bool) {
	var se *store.Error
	switch {
	case errors.As(err, &se):
		return se, errorStatus(se.Code), true
	case errors.Is(err, errBodyTooLarge):
		// The reference has no limit (it reads up to 10 MB of form); we answer 413 in the
		// keys error shape with the form error code.
		return store.NewError(store.CodeInvalidForm, errBodyTooLarge.Error(), 0), http.StatusRequestEntityTooLarge, true
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return nil, 0, false
	default:
		se = replicationError(err)
		return se, errorStatus(se.Code), true
	}
}
