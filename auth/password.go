package auth

import (
	"errors"

	"golang.org/x/crypto/bcrypt"
)

// Authentication failures, for the caller's log line; clients see only "Insufficient
// credentials".
var (
	ErrUnknownUser   = errors.New("auth: unknown user")
	ErrWrongPassword = errors.New("auth: wrong password")
)

// maxPasswordBytes is how much of a password bcrypt uses. The reference's bcrypt ignored
// the bytes after it; the current one refuses longer passwords when hashing, so they are
// cut here to keep accepting what the reference accepts, with the same meaning.
const maxPasswordBytes = 72

func passwordBytes(password string) []byte {
	b := []byte(password)
	if len(b) > maxPasswordBytes {
		b = b[:maxPasswordBytes]
	}
	return b
}

// hash returns the bcrypt hash of password at the store's cost.
func (s *Store) hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(passwordBytes(password), s.cost)
	return string(h), err
}

// Authenticate returns the user called name when password is theirs, else ErrUnknownUser
// or ErrWrongPassword (or a read failure). The comparison is bcrypt's, constant-time in the
// password; for an unknown user a comparison against a hash of nothing is made anyway, so
// the answer takes as long whether or not the user exists. Credentials that passed once
// are remembered (see verifiedCache) and answered without bcrypt.
func (s *Store) Authenticate(name, password string) (User, error) {
	u, err := s.User(name)
	if err != nil {
		var ae *Error
		if !errors.As(err, &ae) || ae.Kind != KindNotFound {
			return User{}, err
		}
		_ = s.compare(s.dummyHash(), passwordBytes(password))
		return User{}, ErrUnknownUser
	}
	pw := passwordBytes(password)
	k := s.verified.key(u.User, u.Password, string(pw))
	if s.verified.has(k) {
		return u, nil
	}
	if s.compare([]byte(u.Password), pw) != nil {
		return User{}, ErrWrongPassword
	}
	s.verified.add(k)
	return u, nil
}
