package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// touchInterval is how stale last_used_at may get before Lookup rewrites
// it, so that a busy token does not cost a write per request.
const touchInterval = time.Minute

// Lookup returns the identity a secret grants. An unknown, revoked or
// expired secret yields ErrInvalidToken.
//
// The secret is found by its SHA-256 through the unique index: no secret is
// compared byte by byte, and timing reveals nothing about a secret from a
// hash of it.
func (t *Tokens) Lookup(ctx context.Context, secret string) (*Identity, error) {
	tok, err := tokenByHash(ctx, t.db, hashSecret(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	now := t.now()
	if !tok.Active(now) {
		return nil, ErrInvalidToken
	}
	if err := t.touch(ctx, tok, now); err != nil {
		return nil, err
	}
	return &Identity{User: tok.User, TokenID: tok.ID, Scopes: tok.Scopes}, nil
}

// CheckActive returns ErrInvalidToken unless the token with this id exists
// and is neither revoked nor expired. A registry token is checked against
// the API token it was issued for on every request, so revoking that token
// stops its registry tokens at once, not when they expire.
func (t *Tokens) CheckActive(ctx context.Context, id string) error {
	row := t.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = ?`, id)
	tok, err := scanToken(row)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: the token it was issued for is gone", ErrInvalidToken)
	}
	if err != nil {
		return fmt.Errorf("look up token: %w", err)
	}
	if !tok.Active(t.now()) {
		return fmt.Errorf("%w: the token it was issued for is revoked or expired", ErrInvalidToken)
	}
	return nil
}

// touch records that tok was used at now, unless it was recorded less
// than touchInterval ago (by this or a concurrent request).
func (t *Tokens) touch(ctx context.Context, tok Token, now time.Time) error {
	if !tok.LastUsedAt.IsZero() && now.Sub(tok.LastUsedAt) < touchInterval {
		return nil
	}
	_, err := t.db.ExecContext(ctx,
		`UPDATE tokens SET last_used_at = ?
		 WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
		now.Unix(), tok.ID, now.Add(-touchInterval).Unix())
	if err != nil {
		return fmt.Errorf("record token use: %w", err)
	}
	return nil
}
