package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCreateLookup(t *testing.T) {
	tokens, _ := newTestTokens(t)
	secret, tok := mustCreate(t, tokens, "alice", 0, "ml/*:write", "*:read")
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) != len(SecretPrefix)+52 {
		t.Errorf("secret %q: want %s and 52 base32 characters", secret, SecretPrefix)
	}
	id, err := tokens.Lookup(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	want := &Identity{User: "alice", TokenID: tok.ID, Scopes: tok.Scopes}
	if !reflect.DeepEqual(id, want) {
		t.Fatalf("Lookup = %+v, want %+v", id, want)
	}
	if !id.Allows("ml/cat", Write) || id.Allows("ml/cat", Admin) || id.Allows("other", Write) {
		t.Errorf("identity grants the wrong levels: %+v", id)
	}
}

func TestCreateGivesDistinctSecretsAndIDs(t *testing.T) {
	tokens, _ := newTestTokens(t)
	s1, t1 := mustCreate(t, tokens, "alice", 0, "ml/*:read")
	s2, t2 := mustCreate(t, tokens, "alice", 0, "ml/*:read")
	if s1 == s2 || t1.ID == t2.ID {
		t.Fatalf("two tokens share a secret or id: %q %q / %q %q", s1, s2, t1.ID, t2.ID)
	}
}

func TestCreateRejects(t *testing.T) {
	tokens, _ := newTestTokens(t)
	ok := []Scope{{Pattern: "ml/*", Level: Read}}
	tests := []struct {
		name   string
		user   string
		scopes []Scope
		ttl    time.Duration
		want   error
	}{
		{"empty user", "", ok, 0, ErrInvalidUser},
		{"long user", strings.Repeat("a", MaxUserLength+1), ok, 0, ErrInvalidUser},
		{"space in user", "al ice", ok, 0, ErrInvalidUser},
		{"slash in user", "al/ice", ok, 0, ErrInvalidUser},
		{"no scopes", "alice", nil, 0, ErrInvalidScope},
		{"level none", "alice", []Scope{{Pattern: "ml/*", Level: None}}, 0, ErrInvalidScope},
		{"bad pattern", "alice", []Scope{{Pattern: "ML x", Level: Read}}, 0, ErrInvalidScope},
		{"negative ttl", "alice", ok, -time.Second, ErrInvalidExpiry},
	}
	for _, tt := range tests {
		if _, _, err := tokens.Create(context.Background(), tt.user, tt.scopes, tt.ttl); !errors.Is(err, tt.want) {
			t.Errorf("%s: Create = %v, want %v", tt.name, err, tt.want)
		}
	}
	if toks, _ := tokens.List(context.Background()); len(toks) != 0 {
		t.Errorf("rejected Create stored %d tokens", len(toks))
	}
}

func TestValidUserNames(t *testing.T) {
	for _, u := range []string{"alice", "ci-bot", "a.b_c", "alice@example.com", strings.Repeat("x", MaxUserLength)} {
		if err := ValidateUser(u); err != nil {
			t.Errorf("ValidateUser(%q) = %v", u, err)
		}
	}
}

func TestList(t *testing.T) {
	tokens, clk := newTestTokens(t)
	_, first := mustCreate(t, tokens, "alice", time.Hour, "ml/*:write")
	clk.advance(time.Second)
	_, second := mustCreate(t, tokens, "bob", 0, "*:read")
	got, err := tokens.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []Token{first, second}; !reflect.DeepEqual(got, want) {
		t.Fatalf("List =\n%+v\nwant\n%+v", got, want)
	}
	if !first.ExpiresAt.Equal(first.CreatedAt.Add(time.Hour)) || !second.ExpiresAt.IsZero() {
		t.Errorf("expiry: %v after %v, and %v", first.ExpiresAt, first.CreatedAt, second.ExpiresAt)
	}
}

func TestRevoke(t *testing.T) {
	tokens, clk := newTestTokens(t)
	ctx := context.Background()
	secret, tok := mustCreate(t, tokens, "alice", 0, "ml/*:write")
	revokedAt := clk.now()
	if err := tokens.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Lookup(ctx, secret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Lookup of a revoked token = %v, want ErrInvalidToken", err)
	}
	clk.advance(time.Hour)
	if err := tokens.Revoke(ctx, tok.ID); err != nil {
		t.Fatalf("second Revoke = %v, want nil", err)
	}
	list, _ := tokens.List(ctx)
	if len(list) != 1 || !list[0].RevokedAt.Equal(revokedAt) {
		t.Fatalf("List = %+v, want one token revoked at %v", list, revokedAt)
	}
	if err := tokens.Revoke(ctx, "nosuchid"); !errors.Is(err, ErrTokenNotFound) {
		t.Fatalf("Revoke(unknown) = %v, want ErrTokenNotFound", err)
	}
}

func TestExpiry(t *testing.T) {
	tokens, clk := newTestTokens(t)
	ctx := context.Background()
	secret, _ := mustCreate(t, tokens, "alice", time.Hour, "ml/*:read")
	clk.advance(time.Hour - time.Second)
	if _, err := tokens.Lookup(ctx, secret); err != nil {
		t.Fatalf("Lookup one second before expiry: %v", err)
	}
	clk.advance(time.Second)
	if _, err := tokens.Lookup(ctx, secret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Lookup at expiry = %v, want ErrInvalidToken", err)
	}
}

func TestTinyTTLExpiresAtOnce(t *testing.T) {
	tokens, _ := newTestTokens(t)
	secret, _ := mustCreate(t, tokens, "alice", time.Nanosecond, "ml/*:read")
	if _, err := tokens.Lookup(context.Background(), secret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Lookup = %v, want ErrInvalidToken", err)
	}
}

func TestLookupUnknown(t *testing.T) {
	tokens, _ := newTestTokens(t)
	mustCreate(t, tokens, "alice", 0, "ml/*:read")
	for _, s := range []string{"", "blst_nope", strings.Repeat("x", 10000)} {
		if _, err := tokens.Lookup(context.Background(), s); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Lookup(%.20q) = %v, want ErrInvalidToken", s, err)
		}
	}
}

func TestStoresHashNotSecret(t *testing.T) {
	tokens, _ := newTestTokens(t)
	secret, _ := mustCreate(t, tokens, "alice", 0, "ml/*:read")
	rows, err := tokens.db.Query(`SELECT * FROM tokens`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		t.Fatal("no token row")
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(secret))
	hash := hex.EncodeToString(sum[:])
	var sawHash bool
	for i, v := range vals {
		s := toString(v)
		if strings.Contains(s, secret) || strings.Contains(s, strings.TrimPrefix(secret, SecretPrefix)) {
			t.Errorf("column %s holds the secret", cols[i])
		}
		sawHash = sawHash || s == hash
	}
	if !sawHash {
		t.Error("no column holds the SHA-256 of the secret")
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return ""
}

func TestLastUsedIsThrottled(t *testing.T) {
	tokens, clk := newTestTokens(t)
	ctx := context.Background()
	secret, _ := mustCreate(t, tokens, "alice", 0, "ml/*:read")
	lastUsed := func() time.Time {
		list, err := tokens.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return list[0].LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("new token has a last use")
	}
	first := clk.now()
	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{0, first},
		{30 * time.Second, first}, // within a minute: no write
		{30 * time.Second, first.Add(time.Minute)}, // a minute later: recorded
		{59 * time.Second, first.Add(time.Minute)}, // within a minute again
		{time.Second, first.Add(2 * time.Minute)},  // and once more
	}
	for i, s := range steps {
		clk.advance(s.advance)
		if _, err := tokens.Lookup(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(s.want) {
			t.Fatalf("step %d: last used %v, want %v", i, got, s.want)
		}
	}
}

func TestConcurrentLookups(t *testing.T) {
	tokens, clk := newTestTokens(t)
	secret, tok := mustCreate(t, tokens, "alice", 0, "ml/*:read")
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			clk.advance(time.Second)
			id, err := tokens.Lookup(context.Background(), secret)
			if err == nil && id.TokenID != tok.ID {
				err = errors.New("wrong token id " + id.TokenID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
