package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

func testKey() []byte { return bytes.Repeat([]byte{7}, MinRegistryKeyLength) }

// newTestRegistryTokens returns registry tokens driven by the returned clock.
func newTestRegistryTokens(t *testing.T) (*RegistryTokens, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	rt := NewRegistryTokens(testKey(), time.Minute)
	rt.now = c.now
	return rt, c
}

func TestRegistryTokenRoundTrip(t *testing.T) {
	rt, c := newTestRegistryTokens(t)
	grants := []Scope{{Pattern: "ml/x", Level: Write}, {Pattern: "ml/y", Level: None}}
	tok, exp, err := rt.Issue("alice", "tok123", grants)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, RegistryTokenPrefix) || !IsRegistryToken(tok) {
		t.Fatalf("token %q lacks the prefix", tok)
	}
	if want := c.now().Add(time.Minute); !exp.Equal(want) {
		t.Fatalf("expiry %v, want %v", exp, want)
	}
	id, err := rt.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if id.User != "alice" || id.Anonymous || id.TokenID != "tok123" || len(id.Scopes) != 2 {
		t.Fatalf("identity %+v", id)
	}
	if !id.Allows("ml/x", Write) || id.Allows("ml/y", Read) || id.Allows("ml/xx", Read) {
		t.Fatalf("identity grants the wrong access: %+v", id.Scopes)
	}
	c.advance(time.Minute - time.Second)
	if _, err := rt.Verify(tok); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	c.advance(time.Second)
	if _, err := rt.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("at expiry: %v, want ErrInvalidToken", err)
	}
}

func TestRegistryTokenAnonymous(t *testing.T) {
	rt, _ := newTestRegistryTokens(t)
	tok, _, err := rt.IssueAnonymous([]Scope{{Pattern: "*", Level: Read}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := rt.Verify(tok)
	if err != nil || !id.Anonymous || id.User != AnonymousUser || !id.Allows("a/b", Read) {
		t.Fatalf("anonymous token: %+v, %v", id, err)
	}
}

func TestRegistryTokenIssueRejects(t *testing.T) {
	rt, _ := newTestRegistryTokens(t)
	for _, g := range []Scope{{Pattern: "", Level: Read}, {Pattern: "ML/X", Level: Read}, {Pattern: "a b", Level: Read}, {Pattern: "ml/x", Level: Admin + 1}, {Pattern: "ml/x", Level: -1}} {
		if _, _, err := rt.Issue("alice", "", []Scope{g}); !errors.Is(err, ErrInvalidScope) {
			t.Errorf("Issue with grant %+v: %v, want ErrInvalidScope", g, err)
		}
	}
	if _, _, err := rt.Issue("bad user", "", nil); !errors.Is(err, ErrInvalidUser) {
		t.Errorf("bad user: %v", err)
	}
}

func TestRegistryTokenTampered(t *testing.T) {
	rt, _ := newTestRegistryTokens(t)
	tok, _, err := rt.Issue("alice", "", []Scope{{Pattern: "ml/x", Level: Read}})
	if err != nil {
		t.Fatal(err)
	}
	body, sig, _ := strings.Cut(tok, ".")
	// A payload granting write, re-encoded but signed with the old MAC.
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(body, RegistryTokenPrefix))
	forged := RegistryTokenPrefix + base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte(`"l":1`), []byte(`"l":3`), 1)) + "." + sig
	other := NewRegistryTokens(bytes.Repeat([]byte{8}, MinRegistryKeyLength), time.Minute)
	otherTok, _, _ := other.Issue("alice", "", []Scope{{Pattern: "ml/x", Level: Read}})
	for name, s := range map[string]string{
		"forged payload":  forged,
		"other key":       otherTok,
		"no signature":    body,
		"empty signature": body + ".",
		"bad base64":      body + ".!!!",
		"flipped bit":     body + "." + flip(sig),
		"no prefix":       strings.TrimPrefix(tok, RegistryTokenPrefix),
		"api token":       SecretPrefix + "abc",
		"huge":            RegistryTokenPrefix + strings.Repeat("a", maxRegistryToken),
		"":                "",
	} {
		if id, err := rt.Verify(s); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %+v, %v; want ErrInvalidToken", name, id, err)
		}
	}
}

// flip changes the first character of a base64url string.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestNewRegistryTokensShortKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a short key did not panic")
		}
	}()
	NewRegistryTokens(make([]byte, MinRegistryKeyLength-1), 0)
}

func TestNewRegistryTokensDefaultTTL(t *testing.T) {
	if ttl := NewRegistryTokens(testKey(), 0).TTL(); ttl != DefaultRegistryTokenTTL {
		t.Fatalf("TTL %v", ttl)
	}
}

func TestAuthenticateRegistryToken(t *testing.T) {
	tokens, _ := newTestTokens(t)
	rt, _ := newTestRegistryTokens(t)
	_, parent, err := tokens.Create(context.Background(), "alice", []Scope{{Pattern: "ml/*", Level: Write}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := rt.Issue("alice", parent.ID, []Scope{{Pattern: "ml/x", Level: Write}})
	_, revoked, err := tokens.Create(context.Background(), "alice", []Scope{{Pattern: "ml/*", Level: Write}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	fromRevoked, _, _ := rt.Issue("alice", revoked.ID, []Scope{{Pattern: "ml/x", Level: Write}})
	if err := tokens.Revoke(context.Background(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	orphan, _, _ := rt.Issue("alice", "", []Scope{{Pattern: "ml/x", Level: Write}})
	unknown, _, _ := rt.Issue("alice", "nosuchtoken", []Scope{{Pattern: "ml/x", Level: Write}})
	anon, _, _ := rt.IssueAnonymous([]Scope{{Pattern: "*", Level: Read}})

	plain := NewAuthenticator(tokens, false)
	withRT := plain.WithRegistryTokens(rt)
	anonOn := NewAuthenticator(tokens, true).WithRegistryTokens(rt)
	tests := []struct {
		name   string
		a      *Authenticator
		header string
		want   error
	}{
		{"bearer", withRT, "Bearer " + tok, nil},
		{"basic", withRT, basic("alice", tok), nil},
		{"not configured", plain, "Bearer " + tok, ErrInvalidToken},
		{"anonymous token, anonymous read off", withRT, "Bearer " + anon, ErrInvalidToken},
		{"anonymous token, anonymous read on", anonOn, "Bearer " + anon, nil},
		{"tampered", withRT, "Bearer " + tok + "x", ErrInvalidToken},
		{"issued for a revoked token", withRT, "Bearer " + fromRevoked, ErrInvalidToken},
		{"issued for no token", withRT, "Bearer " + orphan, ErrInvalidToken},
		{"issued for an unknown token", withRT, "Bearer " + unknown, ErrInvalidToken},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", tt.header)
		id, err := tt.a.Authenticate(r)
		if !errors.Is(err, tt.want) || (err == nil && id == nil) {
			t.Errorf("%s: %+v, %v; want %v", tt.name, id, err, tt.want)
		}
		if got := UsesRegistryToken(r); !got {
			t.Errorf("%s: UsesRegistryToken = false", tt.name)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+SecretPrefix+"x")
	if UsesRegistryToken(r) {
		t.Error("an API token counts as a registry token")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	d, err := db.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	keys := make([][]byte, 4)
	for i := range keys {
		wg.Go(func() {
			k, err := LoadOrCreateKey(ctx, d, "registry")
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	other, err := LoadOrCreateKey(ctx, d, "other")
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	for _, k := range keys {
		if len(k) != MinRegistryKeyLength || !bytes.Equal(k, keys[0]) {
			t.Fatalf("concurrent first calls disagree: %x", keys)
		}
	}
	if bytes.Equal(other, keys[0]) {
		t.Fatal("two names share a key")
	}
	// The key survives a restart.
	d, err = db.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	again, err := LoadOrCreateKey(ctx, d, "registry")
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("after reopening: %x, %v; want %x", again, err, keys[0])
	}
}

func TestRegistryTokenTooLarge(t *testing.T) {
	rt, _ := newTestRegistryTokens(t)
	var grants []Scope
	for i := range 200 {
		grants = append(grants, Scope{Pattern: strings.Repeat("a", 100) + "/" + string(rune('a'+i%26)) + strings.Repeat("b", i), Level: Read})
	}
	if _, _, err := rt.Issue("alice", "", grants); !errors.Is(err, ErrInvalidScope) {
		t.Fatalf("huge token: %v, want ErrInvalidScope", err)
	}
}
