package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// AdminUser is the user name of the bootstrap admin token.
const AdminUser = "admin"

// AdminScope grants admin on every repository; the admin API requires it.
var AdminScope = Scope{Pattern: "*", Level: Admin}

// EnsureAdmin makes sure the server can be administered.
//
// With a secret from the environment, it makes sure a token with that
// secret exists for AdminUser with AdminScope, creating it on first use and
// doing nothing on later starts. It fails if that token was revoked or
// grants less than AdminScope: the operator must configure a new secret.
//
// Without one, if no active token holds AdminScope, it creates one for
// AdminUser and returns its secret, for the caller to print once.
// Otherwise it returns "".
func (t *Tokens) EnsureAdmin(ctx context.Context, fromEnv string) (generated string, err error) {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if fromEnv != "" {
		err = t.ensureSecret(ctx, tx, fromEnv)
	} else {
		generated, err = t.ensureAny(ctx, tx)
	}
	if err != nil {
		return "", fmt.Errorf("ensure admin token: %w", err)
	}
	return generated, tx.Commit()
}

// ensureSecret makes sure secret is an active admin token.
func (t *Tokens) ensureSecret(ctx context.Context, tx *sql.Tx, secret string) error {
	if err := checkSecret(secret); err != nil {
		return err
	}
	tok, err := tokenByHash(ctx, tx, hashSecret(secret))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return t.insertAdmin(ctx, tx, secret)
	case err != nil:
		return err
	case !tok.Active(t.now()):
		return fmt.Errorf("%w: the configured admin token (id %s) was revoked or has expired; configure a new secret", ErrInvalidToken, tok.ID)
	case !isAdmin(tok.Scopes):
		return fmt.Errorf("%w: the configured admin token (id %s) does not hold %s", ErrInvalidToken, tok.ID, AdminScope)
	}
	return nil
}

// ensureAny creates an admin token unless an active one exists.
func (t *Tokens) ensureAny(ctx context.Context, tx *sql.Tx) (string, error) {
	toks, err := queryTokens(ctx, tx, `SELECT `+tokenColumns+` FROM tokens WHERE revoked_at IS NULL`)
	if err != nil {
		return "", err
	}
	now := t.now()
	for _, tok := range toks {
		if tok.Active(now) && isAdmin(tok.Scopes) {
			return "", nil
		}
	}
	secret := newSecret()
	return secret, t.insertAdmin(ctx, tx, secret)
}

func (t *Tokens) insertAdmin(ctx context.Context, tx *sql.Tx, secret string) error {
	tok, err := t.newToken(AdminUser, []Scope{AdminScope}, 0)
	if err != nil {
		return err
	}
	return insertToken(ctx, tx, tok, secret)
}

func isAdmin(scopes []Scope) bool {
	return (&Identity{Scopes: scopes}).IsAdmin()
}
