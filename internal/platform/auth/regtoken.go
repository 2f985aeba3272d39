package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RegistryTokenPrefix starts every registry token, telling it apart from
// the API tokens (SecretPrefix) they are obtained with.
const RegistryTokenPrefix = "blsr_"

// DefaultRegistryTokenTTL is how long a registry token lives by default.
const DefaultRegistryTokenTTL = 5 * time.Minute

// MinRegistryKeyLength is the shortest signing key NewRegistryTokens accepts.
const MinRegistryKeyLength = 32

// maxRegistryToken bounds the size of a token Verify looks at.
const maxRegistryToken = 16 << 10

// RegistryTokens issues and verifies the short-lived bearer tokens of the
// registry token flow. A token is self-contained: the user, the scopes it
// grants and its expiry, signed with HMAC-SHA256. Nothing is stored: a
// registry token cannot be revoked by itself, but it names the API token it
// was issued for, and the Authenticator refuses it once that token is
// revoked or expired.
type RegistryTokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time // the clock; tests replace it
}

// NewRegistryTokens returns a token issuer signing with key, which must be
// at least MinRegistryKeyLength bytes (see LoadOrCreateKey); a shorter key
// is a programming error and panics. Tokens live for ttl, or
// DefaultRegistryTokenTTL if ttl <= 0.
func NewRegistryTokens(key []byte, ttl time.Duration) *RegistryTokens {
	if len(key) < MinRegistryKeyLength {
		panic(fmt.Sprintf("auth: registry token key of %d bytes, want at least %d", len(key), MinRegistryKeyLength))
	}
	if ttl <= 0 {
		ttl = DefaultRegistryTokenTTL
	}
	return &RegistryTokens{key: append([]byte(nil), key...), ttl: ttl, now: time.Now}
}

// TTL returns the lifetime of the tokens rt issues.
func (rt *RegistryTokens) TTL() time.Duration { return rt.ttl }

// claims is the signed payload of a registry token.
type claims struct {
	User   string  `json:"u"`
	Token  string  `json:"t,omitempty"` // id of the API token it was issued for
	Anon   bool    `json:"a,omitempty"`
	Grants []grant `json:"g"`
	Expiry int64   `json:"e"` // Unix seconds
}

// grant is a Scope in a token. A grant of level None records that the
// caller asked for the repository and was refused.
type grant struct {
	Pattern string `json:"p"`
	Level   Level  `json:"l"`
}

// Issue returns a token for user, issued on the strength of the API token
// tokenID (recorded so that pulls made with it are attributed to that
// token), granting grants (patterns and levels, as in Scope; level None is
// allowed and records a refusal), and its expiry. Invalid grants, or so
// many that the token would exceed 16 KiB, are ErrInvalidScope.
func (rt *RegistryTokens) Issue(user, tokenID string, grants []Scope) (string, time.Time, error) {
	if err := ValidateUser(user); err != nil {
		return "", time.Time{}, err
	}
	return rt.issue(claims{User: user, Token: tokenID}, grants)
}

// IssueAnonymous returns a token for a caller without credentials; it is
// valid only while anonymous read is on (see Authenticator).
func (rt *RegistryTokens) IssueAnonymous(grants []Scope) (string, time.Time, error) {
	return rt.issue(claims{User: AnonymousUser, Anon: true}, grants)
}

func (rt *RegistryTokens) issue(c claims, grants []Scope) (string, time.Time, error) {
	for _, g := range grants {
		if err := validateGrant(g); err != nil {
			return "", time.Time{}, err
		}
		c.Grants = append(c.Grants, grant{Pattern: g.Pattern, Level: g.Level})
	}
	exp := time.Unix(rt.now().Add(rt.ttl).Unix(), 0)
	c.Expiry = exp.Unix()
	payload, err := json.Marshal(c)
	if err != nil {
		return "", time.Time{}, err
	}
	body := RegistryTokenPrefix + base64.RawURLEncoding.EncodeToString(payload)
	token := body + "." + base64.RawURLEncoding.EncodeToString(rt.sign(body))
	if len(token) > maxRegistryToken {
		return "", time.Time{}, fmt.Errorf("%w: %d grants make a token over %d bytes", ErrInvalidScope, len(grants), maxRegistryToken)
	}
	return token, exp, nil
}

// validateGrant accepts what ParseScope would, plus level None.
func validateGrant(g Scope) error {
	if g.Level < None || g.Level > Admin {
		return fmt.Errorf("%w: level %d", ErrInvalidScope, g.Level)
	}
	_, err := ParseScope(g.Pattern + ":read")
	return err
}

func (rt *RegistryTokens) sign(body string) []byte {
	m := hmac.New(sha256.New, rt.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Verify returns the identity a token grants. A malformed, tampered or
// expired token is ErrInvalidToken. The signature is compared in constant
// time before anything in the token is trusted.
func (rt *RegistryTokens) Verify(token string) (*Identity, error) {
	c, err := rt.open(token)
	if err != nil {
		return nil, err
	}
	if !rt.now().Before(time.Unix(c.Expiry, 0)) {
		return nil, fmt.Errorf("%w: registry token expired", ErrInvalidToken)
	}
	id := &Identity{User: c.User, TokenID: c.Token, Anonymous: c.Anon, Scopes: make([]Scope, 0, len(c.Grants))}
	for _, g := range c.Grants {
		id.Scopes = append(id.Scopes, Scope{Pattern: g.Pattern, Level: g.Level})
	}
	return id, nil
}

// open checks the signature of token and decodes its claims.
func (rt *RegistryTokens) open(token string) (claims, error) {
	bad := fmt.Errorf("%w: malformed or tampered registry token", ErrInvalidToken)
	if len(token) > maxRegistryToken || !IsRegistryToken(token) {
		return claims{}, bad
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return claims{}, bad
	}
	mac, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || !hmac.Equal(mac, rt.sign(token[:i])) {
		return claims{}, bad
	}
	payload, err := base64.RawURLEncoding.DecodeString(token[len(RegistryTokenPrefix):i])
	if err != nil {
		return claims{}, bad
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, bad
	}
	return c, nil
}

// IsRegistryToken reports whether secret has the form of a registry token.
func IsRegistryToken(secret string) bool {
	return strings.HasPrefix(secret, RegistryTokenPrefix)
}

// UsesRegistryToken reports whether r presents a registry token. Its
// identity then holds only what the token server granted for the scopes
// the client asked, so a refusal may mean the client must ask again.
func UsesRegistryToken(r *http.Request) bool {
	secret, err := credentials(r.Header)
	return err == nil && IsRegistryToken(secret)
}
