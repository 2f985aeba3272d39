package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

// Token describes an issued token. It never holds the secret or its hash.
// Times have one-second precision.
type Token struct {
	ID         string // short public id, shown in lists and used to revoke
	User       string
	Scopes     []Scope
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never expires
	RevokedAt  time.Time // zero: not revoked
	LastUsedAt time.Time // zero: never used; updated at most once a minute
}

// Active reports whether the token is neither revoked nor expired at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Tokens issues, lists, revokes and checks tokens kept in the metadata DB.
type Tokens struct {
	db  *db.DB
	now func() time.Time // the clock; tests replace it
}

// NewTokens returns a token store over d.
func NewTokens(d *db.DB) *Tokens {
	return &Tokens{db: d, now: time.Now}
}

// Create issues a token to user with scopes, valid for ttl (0: forever).
// It returns the secret, which is not stored and cannot be shown again.
func (t *Tokens) Create(ctx context.Context, user string, scopes []Scope, ttl time.Duration) (string, Token, error) {
	tok, err := t.newToken(user, scopes, ttl)
	if err != nil {
		return "", Token{}, err
	}
	secret := newSecret()
	if err := insertToken(ctx, t.db, tok, secret); err != nil {
		return "", Token{}, err
	}
	return secret, tok, nil
}

// newToken validates the arguments of Create and fills in a Token.
func (t *Tokens) newToken(user string, scopes []Scope, ttl time.Duration) (Token, error) {
	if err := ValidateUser(user); err != nil {
		return Token{}, err
	}
	if err := validateScopes(scopes); err != nil {
		return Token{}, err
	}
	if ttl < 0 {
		return Token{}, fmt.Errorf("%w: %v is negative", ErrInvalidExpiry, ttl)
	}
	now := t.now()
	tok := Token{ID: newID(), User: user, Scopes: scopes, CreatedAt: fromUnix(now.Unix())}
	if ttl > 0 {
		tok.ExpiresAt = fromUnix(now.Add(ttl).Unix())
	}
	return tok, nil
}

// validateScopes requires at least one scope, each of which ParseScope
// would accept.
func validateScopes(scopes []Scope) error {
	if len(scopes) == 0 {
		return fmt.Errorf("%w: a token needs at least one scope", ErrInvalidScope)
	}
	for _, s := range scopes {
		p, err := ParseScope(s.String())
		if err != nil {
			return err
		}
		if p != s {
			return fmt.Errorf("%w: %q", ErrInvalidScope, s)
		}
	}
	return nil
}

// List returns every token, revoked and expired ones included, oldest first.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	return queryTokens(ctx, t.db, `SELECT `+tokenColumns+` FROM tokens ORDER BY created_at, id`)
}

// Revoke revokes the token with the given id. Revoking a revoked token
// succeeds and keeps the first revocation time.
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	res, err := t.db.ExecContext(ctx,
		`UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, t.now().Unix(), id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %q", ErrTokenNotFound, id)
	}
	return nil
}
