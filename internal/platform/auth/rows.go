package auth

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tokenColumns are the columns scanToken reads, in order.
const tokenColumns = `id, user_name, scopes, created_at, expires_at, revoked_at, last_used_at`

func insertToken(ctx context.Context, q queryer, tok Token, secret string) error {
	_, err := q.ExecContext(ctx,
		`INSERT INTO tokens (id, user_name, secret_hash, scopes, created_at, expires_at)
		 VALUES (?, ?, ?, ?, ?, ?)`,
		tok.ID, tok.User, hashSecret(secret), encodeScopes(tok.Scopes),
		tok.CreatedAt.Unix(), toNullUnix(tok.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	return nil
}

// tokenByHash returns the token whose secret hashes to hash, or
// sql.ErrNoRows.
func tokenByHash(ctx context.Context, q queryer, hash string) (Token, error) {
	row := q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE secret_hash = ?`, hash)
	return scanToken(row)
}

func queryTokens(ctx context.Context, q queryer, query string, args ...any) ([]Token, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		tok, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, rows.Err()
}

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var (
		tok                        Token
		scopes                     string
		created                    int64
		expires, revoked, lastUsed sql.NullInt64
	)
	if err := row.Scan(&tok.ID, &tok.User, &scopes, &created, &expires, &revoked, &lastUsed); err != nil {
		return Token{}, err
	}
	var err error
	if tok.Scopes, err = decodeScopes(scopes); err != nil {
		return Token{}, fmt.Errorf("token %s: stored scopes: %w", tok.ID, err)
	}
	tok.CreatedAt = fromUnix(created)
	tok.ExpiresAt = fromNullUnix(expires)
	tok.RevokedAt = fromNullUnix(revoked)
	tok.LastUsedAt = fromNullUnix(lastUsed)
	return tok, nil
}

// encodeScopes stores scopes space-separated; a pattern holds no spaces.
func encodeScopes(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}

func decodeScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, f := range strings.Fields(s) {
		sc, err := ParseScope(f)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

func fromUnix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func fromNullUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromUnix(n.Int64)
}

func toNullUnix(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.Unix(), Valid: true}
}
