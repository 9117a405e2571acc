package auth

import "fmt"

// Kind classifies an Error; the HTTP layer maps it to a status (SPEC §6).
type Kind uint8

// The kinds of refusal the auth API reports.
const (
	KindInvalid   Kind = iota + 1 // the request cannot be applied as written (400)
	KindForbidden                 // the root role or the root user is protected (403)
	KindNotFound                  // no such user or role (404)
	KindConflict                  // already exists, duplicate grant, wrong state (409)
)

// Error is a refusal of the auth API. Message is the text clients see, word for word the
// reference's, including its "auth: " prefix.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

// newError builds an Error whose message is "auth: " followed by the formatted text.
func newError(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: "auth: " + fmt.Sprintf(format, args...)}
}
