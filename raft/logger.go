package raft

import (
	"fmt"
	"os"

	"github.com/rs/zerolog"
)

// raftLogger adapts zerolog to the printf-style logger the upstream raft library wants.
// It is the only printf-style logging in the tree (STYLE §5). Upstream messages are
// verbose and state-machine-internal, so its Info is logged at Debug, except the
// messages about elections and leadership, which operators want to see.
type raftLogger struct {
	l zerolog.Logger
}

func (r raftLogger) Debug(v ...any)                 { r.l.Debug().Msg(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(format string, v ...any) { r.l.Debug().Msgf(format, v...) }
func (r raftLogger) Info(v ...any)                  { r.l.Debug().Msg(fmt.Sprint(v...)) }
func (r raftLogger) Infof(format string, v ...any)  { r.l.Debug().Msgf(format, v...) }
func (r raftLogger) Warning(v ...any)               { r.l.Warn().Msg(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(format string, v ...any) {
	r.l.Warn().Msgf(format, v...)
}
func (r raftLogger) Error(v ...any)                 { r.l.Error().Msg(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(format string, v ...any) { r.l.Error().Msgf(format, v...) }

// Fatal and Panic are only called by upstream raft on broken invariants (for example a
// log that does not match the commit index). Both end the process: continuing could
// apply a corrupt log.
func (r raftLogger) Fatal(v ...any) {
	r.l.WithLevel(zerolog.FatalLevel).Msg(fmt.Sprint(v...))
	os.Exit(1)
}
func (r raftLogger) Fatalf(format string, v ...any) {
	r.l.WithLevel(zerolog.FatalLevel).Msgf(format, v...)
	os.Exit(1)
}
func (r raftLogger) Panic(v ...any) {
	s := fmt.Sprint(v...)
	r.l.WithLevel(zerolog.PanicLevel).Msg(s)
	panic(s)
}
func (r raftLogger) Panicf(format string, v ...any) {
	s := fmt.Sprintf(format, v...)
	r.l.WithLevel(zerolog.PanicLevel).Msg(s)
	panic(s)
}
