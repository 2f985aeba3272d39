package auth

import "errors"

// Errors of the auth package. Callers classify failures with errors.Is.
var (
	// ErrNoCredentials: the request carries no token and anonymous access is off.
	ErrNoCredentials = errors.New("authentication required")
	// ErrInvalidToken: the token is unknown, revoked or expired, or the
	// Authorization header is malformed.
	ErrInvalidToken = errors.New("invalid, revoked or expired token")
	// ErrForbidden: the caller is known but lacks the access it asked for.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalidScope: a scope string does not parse.
	ErrInvalidScope = errors.New("invalid scope")
	// ErrInvalidUser: a user name is empty, too long or holds a bad character.
	ErrInvalidUser = errors.New("invalid user name")
	// ErrInvalidExpiry: a token lifetime is negative.
	ErrInvalidExpiry = errors.New("invalid token lifetime")
	// ErrInvalidSecret: an operator-chosen secret is too weak or malformed.
	ErrInvalidSecret = errors.New("invalid token secret")
	// ErrTokenNotFound: no token has the given id.
	ErrTokenNotFound = errors.New("token not found")
)
