package main

import (
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
)

// newLogger builds the process's one logger (STYLE §5): JSON on stderr, or the human
// console format when stderr is a terminal (format "auto") or when asked.
func newLogger(w io.Writer, level, format string, terminal bool) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("%w: invalid value %q for --log-level (want debug, info, warn or error)", errConfig, level)
	}
	if format == "console" || (format == "auto" && terminal) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339Nano}
	}
	// The level lives in zerolog's process-wide setting so that PUT /config/local/log can
	// change it at run time; only main touches it (setLogLevel).
	setLogLevel(lvl)
	return zerolog.New(w).With().Timestamp().Logger(), nil
}

// setLogLevel changes the level of every logger in the process.
func setLogLevel(l zerolog.Level) { zerolog.SetGlobalLevel(l) }
