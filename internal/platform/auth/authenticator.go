package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// AnonymousUser is the user name of an anonymous identity.
const AnonymousUser = "anonymous"

// RequestAuthenticator turns a request into the identity of its caller,
// or fails with ErrNoCredentials or ErrInvalidToken. *Authenticator is the
// server's; the protocol packages take this interface so their tests can
// use fakes.
type RequestAuthenticator interface {
	Authenticate(r *http.Request) (*Identity, error)
}

// Authenticator turns a request's credentials into an Identity.
type Authenticator struct {
	tokens        *Tokens
	registry      *RegistryTokens // nil: registry tokens are not accepted
	anonymousRead bool
}

// NewAuthenticator returns an Authenticator checking tokens against t.
// With anonymousRead, a request without credentials gets read access to
// every repository instead of ErrNoCredentials.
func NewAuthenticator(t *Tokens, anonymousRead bool) *Authenticator {
	return &Authenticator{tokens: t, anonymousRead: anonymousRead}
}

// WithRegistryTokens returns a copy of a that also accepts the registry
// tokens rt issues (RegistryTokenPrefix), as a Bearer token or a Basic
// password. Anonymous registry tokens are accepted only with anonymous read.
func (a *Authenticator) WithRegistryTokens(rt *RegistryTokens) *Authenticator {
	c := *a
	c.registry = rt
	return &c
}

// Authenticate accepts HTTP Basic auth (any user name, the token secret as
// password) and "Authorization: Bearer <secret>". It returns
// ErrNoCredentials when there are none and anonymous read is off, and
// ErrInvalidToken for a malformed header or an unknown, revoked or expired
// token. Other errors are server faults.
func (a *Authenticator) Authenticate(r *http.Request) (*Identity, error) {
	secret, err := credentials(r.Header)
	if err != nil {
		return nil, err
	}
	if secret != "" && a.registry != nil && IsRegistryToken(secret) {
		return a.verifyRegistryToken(r.Context(), secret)
	}
	if secret != "" {
		return a.tokens.Lookup(r.Context(), secret)
	}
	if !a.anonymousRead {
		return nil, ErrNoCredentials
	}
	return &Identity{User: AnonymousUser, Anonymous: true, Scopes: []Scope{{Pattern: "*", Level: Read}}}, nil
}

// verifyRegistryToken checks a registry token's signature and expiry, and
// that the API token it was issued for is still active: a revocation stops
// the registry tokens minted from it on their next request.
func (a *Authenticator) verifyRegistryToken(ctx context.Context, secret string) (*Identity, error) {
	id, err := a.registry.Verify(secret)
	if err != nil {
		return nil, err
	}
	if id.Anonymous && !a.anonymousRead {
		return nil, fmt.Errorf("%w: anonymous access is off", ErrInvalidToken)
	}
	if !id.Anonymous {
		if id.TokenID == "" {
			return nil, fmt.Errorf("%w: registry token names no API token", ErrInvalidToken)
		}
		if err := a.tokens.CheckActive(ctx, id.TokenID); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// errMalformed reports a bad Authorization header without echoing it:
// it may hold a secret.
var errMalformed = fmt.Errorf("%w: malformed Authorization header", ErrInvalidToken)

// credentials returns the secret in h's Authorization header, or "" if
// there is none.
func credentials(h http.Header) (string, error) {
	vals := h.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return parseAuthorization(vals[0])
	}
	return "", errMalformed
}

// parseAuthorization extracts the secret from an Authorization header
// value: the password of Basic credentials or a Bearer token. The scheme is
// case-insensitive (Reference: RFC 9110 §11.1); Basic is RFC 7617, Bearer
// RFC 6750 §2.1.
func parseAuthorization(v string) (string, error) {
	scheme, rest, _ := strings.Cut(v, " ")
	rest = strings.Trim(rest, " ")
	if rest == "" || strings.ContainsAny(rest, " \t") {
		return "", errMalformed
	}
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", errMalformed
		}
		_, password, ok := strings.Cut(string(raw), ":")
		if !ok || password == "" {
			return "", errMalformed
		}
		return password, nil
	case "bearer":
		return rest, nil
	}
	return "", errMalformed
}
