package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes of the reference (SPEC 9.3).
const (
	exitSuccess           = 0
	exitBadArgs           = 1
	exitBadConnection     = 2
	exitBadAuth           = 3
	exitServerError       = 4
	exitClusterNotHealthy = 5

	// exitUnknownCommand is urfave/cli's status for an unknown command or help topic;
	// it happens to equal exitBadAuth.
	exitUnknownCommand = 3
)

// exitError ends the program with code after msg (complete lines, possibly none) has
// been written on stderr. Every command failure travels as one; run turns it into the
// exit status, where the reference called os.Exit on the spot.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitf fails with code and one formatted line on stderr.
func exitf(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...) + "\n"}
}

// exitWith fails with code and err's text as one line on stderr: how the member, user,
// role and auth commands report errors (SPEC 9.4).
func exitWith(code int, err error) error {
	return &exitError{code: code, msg: err.Error() + "\n"}
}

// commandError is the reference's handleError: "Error:  <err>" (Println of "Error: " and
// the error, hence two spaces), followed for a cluster error by its detail block and an
// empty line. The json output format does not change it (SPEC 9.3).
func commandError(code int, err error) error {
	msg := fmt.Sprintln("Error: ", err)
	var ce *clusterError
	if errors.As(err, &ce) {
		msg += fmt.Sprintln(ce.detail())
	}
	return &exitError{code: code, msg: msg}
}

// exitCode writes a failure's message on stderr and returns the process status. Errors
// that are not *exitError come from urfave/cli (bad flags) and exit 1, as in the
// reference's main.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return exitSuccess
	}
	var ee *exitError
	if errors.As(err, &ee) {
		io.WriteString(stderr, ee.msg)
		return ee.code
	}
	fmt.Fprintln(stderr, err)
	return exitBadArgs
}
