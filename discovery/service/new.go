package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"
)

// backendTimeout bounds each request the service itself makes to the backend (not the
// proxied ones, whose watches may last).
const backendTimeout = 5 * time.Second

// newToken answers /new[?size=N] (any method, as the original): a fresh token whose
// size is N (default 3), as the plain-text URL members pass to --discovery.
func (s *Service) newToken(w http.ResponseWriter, r *http.Request) {
	size := 3
	if v := r.FormValue("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// The original accepts 0 and negative sizes, which no member can ever complete.
		if n < 1 {
			http.Error(w, "size must be a positive integer", http.StatusBadRequest)
			return
		}
		size = n
	}
	token, err := s.setupToken(r.Context(), size)
	if err != nil {
		hlog.FromRequest(r).Warn().Err(err).Msg("setupToken failed")
		http.Error(w, "Unable to generate token", http.StatusBadRequest)
		return
	}
	hlog.FromRequest(r).Info().Str("token", token).Int("size", size).Msg("new cluster created")
	// No newline: the body is the URL (curl output pastes straight into a flag).
	fmt.Fprint(w, s.tokenURL(token))
}

// health creates a token and deletes it again: the backend is reachable and writable.
func (s *Service) health(w http.ResponseWriter, r *http.Request) {
	token, err := s.setupToken(r.Context(), 0)
	if err != nil {
		hlog.FromRequest(r).Warn().Err(err).Msg("health failed to setupToken")
		http.Error(w, "health failed to setupToken", http.StatusBadRequest)
		return
	}
	if err := s.deleteToken(r.Context(), token); err != nil {
		hlog.FromRequest(r).Warn().Err(err).Msg("health failed to deleteToken")
		http.Error(w, "health failed to deleteToken", http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, "OK")
}

// newTokenString returns 16 random bytes in lowercase hex.
func newTokenString() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// setupToken creates /_etcd/registry/<token>/_config/size = size, never overwriting an
// existing token. With a token TTL the directory is created first, with that TTL.
func (s *Service) setupToken(ctx context.Context, size int) (string, error) {
	token, err := newTokenString()
	if err != nil {
		return "", err
	}
	if s.tokenTTL > 0 {
		ttl := strconv.FormatInt(int64((s.tokenTTL+time.Second-1)/time.Second), 10)
		q := url.Values{"dir": {"true"}, "prevExist": {"false"}}
		if _, err := s.backendDo(ctx, http.MethodPut, "/"+token, q, url.Values{"ttl": {ttl}}); err != nil {
			return "", fmt.Errorf("couldn't setup state: %w", err)
		}
	}
	q := url.Values{"prevExist": {"false"}}
	if _, err := s.backendDo(ctx, http.MethodPut, "/"+token+"/_config/size", q, url.Values{"value": {strconv.Itoa(size)}}); err != nil {
		if s.tokenTTL > 0 {
			_ = s.deleteToken(ctx, token) // best effort; the TTL removes it otherwise
		}
		return "", fmt.Errorf("couldn't setup state: %w", err)
	}
	return token, nil
}

// deleteToken removes a token and everything registered under it.
func (s *Service) deleteToken(ctx context.Context, token string) error {
	_, err := s.backendDo(ctx, http.MethodDelete, "/"+token, url.Values{"recursive": {"true"}}, nil)
	return err
}

// backendError is a backend answer outside 2xx.
type backendError struct {
	status int
	body   string
}

func (e *backendError) Error() string {
	return fmt.Sprintf("backend answered %d: %s", e.status, strings.TrimSpace(e.body))
}

// backendDo sends one request to <backend>/v2/keys/_etcd/registry<key> and returns the
// body of a 2xx answer.
func (s *Service) backendDo(ctx context.Context, method, key string, q, form url.Values) ([]byte, error) {
	u := *s.backend
	u.Path = registryPrefix + key
	u.RawQuery = q.Encode()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, &backendError{status: resp.StatusCode, body: string(b)}
	}
	return b, nil
}
