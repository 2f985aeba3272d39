package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const envSecret = "0123456789abcdef0123456789abcdef-admin"

func TestEnsureAdminGeneratesOnce(t *testing.T) {
	tokens, _ := newTestTokens(t)
	ctx := context.Background()
	secret, err := tokens.EnsureAdmin(ctx, "")
	if err != nil || !strings.HasPrefix(secret, SecretPrefix) {
		t.Fatalf("first EnsureAdmin = %q, %v; want a new secret", secret, err)
	}
	id, err := tokens.Lookup(ctx, secret)
	if err != nil || id.User != AdminUser || !id.IsAdmin() {
		t.Fatalf("generated token: %+v, %v; want an admin", id, err)
	}
	again, err := tokens.EnsureAdmin(ctx, "")
	if err != nil || again != "" {
		t.Fatalf("second EnsureAdmin = %q, %v; want nothing new", again, err)
	}
	assertTokenCount(t, tokens, 1)
}

func TestEnsureAdminReplacesRevokedOrExpired(t *testing.T) {
	tokens, clk := newTestTokens(t)
	ctx := context.Background()
	first, _ := tokens.EnsureAdmin(ctx, "")
	id, _ := tokens.Lookup(ctx, first)
	if err := tokens.Revoke(ctx, id.TokenID); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, tokens, "alice", time.Hour, "*:admin")
	if s, err := tokens.EnsureAdmin(ctx, ""); err != nil || s != "" {
		t.Fatalf("EnsureAdmin with alice's admin token = %q, %v; want nothing new", s, err)
	}
	clk.advance(time.Hour)
	second, err := tokens.EnsureAdmin(ctx, "")
	if err != nil || second == "" || second == first {
		t.Fatalf("EnsureAdmin after revocation and expiry = %q, %v; want a new secret", second, err)
	}
}

func TestEnsureAdminIgnoresNarrowAdmins(t *testing.T) {
	tokens, _ := newTestTokens(t)
	mustCreate(t, tokens, "alice", 0, "ml/*:admin", "*:write")
	if s, err := tokens.EnsureAdmin(context.Background(), ""); err != nil || s == "" {
		t.Fatalf("EnsureAdmin = %q, %v; want a new secret", s, err)
	}
}

func TestEnsureAdminFromEnvIsIdempotent(t *testing.T) {
	tokens, _ := newTestTokens(t)
	ctx := context.Background()
	mustCreate(t, tokens, "alice", 0, "*:admin")
	for i := range 3 {
		if s, err := tokens.EnsureAdmin(ctx, envSecret); err != nil || s != "" {
			t.Fatalf("EnsureAdmin(env) #%d = %q, %v; want \"\", nil", i, s, err)
		}
	}
	assertTokenCount(t, tokens, 2)
	id, err := tokens.Lookup(ctx, envSecret)
	if err != nil || id.User != AdminUser || !id.IsAdmin() {
		t.Fatalf("env token: %+v, %v; want an admin", id, err)
	}
}

func TestEnsureAdminFromEnvRefusesRevoked(t *testing.T) {
	tokens, _ := newTestTokens(t)
	ctx := context.Background()
	if _, err := tokens.EnsureAdmin(ctx, envSecret); err != nil {
		t.Fatal(err)
	}
	id, _ := tokens.Lookup(ctx, envSecret)
	if err := tokens.Revoke(ctx, id.TokenID); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.EnsureAdmin(ctx, envSecret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("EnsureAdmin(revoked env secret) = %v, want ErrInvalidToken", err)
	}
	if _, err := tokens.Lookup(ctx, envSecret); !errors.Is(err, ErrInvalidToken) {
		t.Fatal("a revoked env secret came back to life")
	}
}

func TestEnsureAdminFromEnvRefusesNonAdmin(t *testing.T) {
	tokens, _ := newTestTokens(t)
	ctx := context.Background()
	tok, err := tokens.newToken("bob", []Scope{{Pattern: "*", Level: Write}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := insertToken(ctx, tokens.db, tok, envSecret); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.EnsureAdmin(ctx, envSecret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("EnsureAdmin(non-admin secret) = %v, want ErrInvalidToken", err)
	}
}

func TestEnsureAdminFromEnvRejectsWeakSecret(t *testing.T) {
	tokens, _ := newTestTokens(t)
	for _, s := range []string{"admin", strings.Repeat("a", MinSecretLength-1), strings.Repeat("a", 20) + " " + strings.Repeat("b", 20)} {
		if _, err := tokens.EnsureAdmin(context.Background(), s); !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("EnsureAdmin(%q) = %v, want ErrInvalidSecret", s, err)
		}
	}
	assertTokenCount(t, tokens, 0)
}

func assertTokenCount(t *testing.T, tokens *Tokens, want int) {
	t.Helper()
	list, err := tokens.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != want {
		t.Fatalf("%d tokens stored, want %d: %+v", len(list), want, list)
	}
}
