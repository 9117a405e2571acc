package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"
)

// logLevelHandler serves PUT /config/local/log {"Level":"DEBUG"}: the process log level
// changes at run time; 204 on success (SPEC §1).
type logLevelHandler struct {
	set func(zerolog.Level)
}

func (h *logLevelHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ Level string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid json body")
		return
	}
	lvl, ok := parseLogLevel(strings.ToUpper(in.Level))
	if !ok {
		writeMessage(w, http.StatusBadRequest, "Invalid log level "+in.Level)
		return
	}
	h.set(lvl)
	hlog.FromRequest(r).Info().Str("level", lvl.String()).Msg("log level changed")
	w.WriteHeader(http.StatusNoContent)
}

// parseLogLevel accepts the reference's level names (capnslog's, with their one-letter
// and numeric forms) and maps them to zerolog levels; NOTICE, between INFO and WARNING,
// becomes info.
func parseLogLevel(s string) (zerolog.Level, bool) {
	switch s {
	case "CRITICAL", "C":
		return zerolog.FatalLevel, true
	case "ERROR", "0", "E":
		return zerolog.ErrorLevel, true
	case "WARNING", "1", "W":
		return zerolog.WarnLevel, true
	case "NOTICE", "2", "N", "INFO", "3", "I":
		return zerolog.InfoLevel, true
	case "DEBUG", "4", "D":
		return zerolog.DebugLevel, true
	case "TRACE", "5", "T":
		return zerolog.TraceLevel, true
	}
	return zerolog.NoLevel, false
}
