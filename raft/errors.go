package raft

import (
	"context"
	"errors"
)

// Errors a caller of Do or LinearizableRead may see besides store errors. Their texts are
// the reference's, because the HTTP layer shows them as the cause of error 300.
var (
	// ErrTimeout is returned when the caller's deadline passed before its request applied.
	// It matches context.DeadlineExceeded with errors.Is.
	ErrTimeout error = timeoutError{}
	// ErrStopped is returned once the member is stopping.
	ErrStopped = errors.New("etcdserver: server stopped")
	// ErrRemoved is returned by a member that was removed from the cluster.
	ErrRemoved = errors.New("etcdserver: the member has been permanently removed from the cluster")
)

type timeoutError struct{}

func (timeoutError) Error() string { return "etcdserver: request timed out" }

func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// contextErr turns the end of a caller's context into the error it reports: a deadline is
// a timeout (error 300 for the client), a cancellation means the client went away.
func contextErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ctx.Err()
}
