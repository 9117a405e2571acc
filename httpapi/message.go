package httpapi

import (
	"encoding/json"
	"net/http"
)

// writeMessage writes the error shape of the members, stats, auth and config endpoints:
// {"message":"…"} with Content-Type application/json and no trailing newline (SPEC §4).
func writeMessage(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg}) // a string always marshals
	w.Header().Set(hdrContentType, contentJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
