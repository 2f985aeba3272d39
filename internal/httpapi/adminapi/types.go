package adminapi

import (
	"time"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// TokensPath is where the token endpoints live.
const TokensPath = "/api/v1/tokens"

// CreateTokenRequest is the body of POST /api/v1/tokens.
type CreateTokenRequest struct {
	User      string   `json:"user"`
	Scopes    []string `json:"scopes"`               // "pattern:level", e.g. "ml/*:write"
	ExpiresIn int64    `json:"expires_in,omitempty"` // seconds; 0 or absent: never expires
}

// Token is a token as the API shows it.
type Token struct {
	ID         string     `json:"id"`
	User       string     `json:"user"`
	Scopes     []string   `json:"scopes"`
	Secret     string     `json:"token,omitempty"` // only in the response to create
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`   // null: never expires
	RevokedAt  *time.Time `json:"revoked_at"`   // null: not revoked
	LastUsedAt *time.Time `json:"last_used_at"` // null: never used
}

// TokenList is the body of the response to GET /api/v1/tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

func fromAuthToken(t auth.Token, secret string) Token {
	scopes := make([]string, len(t.Scopes))
	for i, s := range t.Scopes {
		scopes[i] = s.String()
	}
	return Token{
		ID:         t.ID,
		User:       t.User,
		Scopes:     scopes,
		Secret:     secret,
		CreatedAt:  t.CreatedAt,
		ExpiresAt:  optional(t.ExpiresAt),
		RevokedAt:  optional(t.RevokedAt),
		LastUsedAt: optional(t.LastUsedAt),
	}
}

func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
