package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"
)

// clock is a settable time source for Tokens.now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestTokens returns a Tokens over a fresh SQLite DB, driven by the
// returned clock.
func newTestTokens(t *testing.T) (*Tokens, *clock) {
	t.Helper()
	d := dbtest.Open(t)
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	tokens := NewTokens(d)
	tokens.now = c.now
	return tokens, c
}

// mustCreate issues a token or fails the test.
func mustCreate(t *testing.T, tokens *Tokens, user string, ttl time.Duration, scopes ...string) (string, Token) {
	t.Helper()
	var sc []Scope
	for _, s := range scopes {
		sc = append(sc, mustScope(t, s))
	}
	secret, tok, err := tokens.Create(context.Background(), user, sc, ttl)
	if err != nil {
		t.Fatalf("Create(%q, %v): %v", user, scopes, err)
	}
	return secret, tok
}

func mustScope(t *testing.T, s string) Scope {
	t.Helper()
	sc, err := ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
