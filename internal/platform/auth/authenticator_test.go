package auth

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"testing"
)

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestAuthenticate(t *testing.T) {
	tokens, _ := newTestTokens(t)
	secret, tok := mustCreate(t, tokens, "alice", 0, "ml/*:write")
	revoked, rtok := mustCreate(t, tokens, "bob", 0, "ml/*:write")
	if err := tokens.Revoke(t.Context(), rtok.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		headers []string
		want    error
	}{
		{"basic", []string{basic("anyone", secret)}, nil},
		{"basic, empty user", []string{basic("", secret)}, nil},
		{"basic, upper-case scheme", []string{"BASIC " + basic("x", secret)[6:]}, nil},
		{"bearer", []string{"Bearer " + secret}, nil},
		{"bearer, lower-case scheme", []string{"bearer " + secret}, nil},
		{"bearer, extra spaces", []string{"Bearer   " + secret + " "}, nil},
		{"none", nil, ErrNoCredentials},
		{"unknown secret", []string{"Bearer blst_nope"}, ErrInvalidToken},
		{"revoked", []string{basic("bob", revoked)}, ErrInvalidToken},
		{"empty header", []string{""}, ErrInvalidToken},
		{"scheme only", []string{"Bearer"}, ErrInvalidToken},
		{"scheme and space", []string{"Bearer "}, ErrInvalidToken},
		{"two bearer words", []string{"Bearer " + secret + " x"}, ErrInvalidToken},
		{"unknown scheme", []string{"Token " + secret}, ErrInvalidToken},
		{"bad base64", []string{"Basic !!!"}, ErrInvalidToken},
		{"basic without colon", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(secret))}, ErrInvalidToken},
		{"basic, empty password", []string{basic(secret, "")}, ErrInvalidToken},
		{"two headers", []string{"Bearer " + secret, "Bearer " + secret}, ErrInvalidToken},
	}
	a := NewAuthenticator(tokens, false)
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		for _, h := range tt.headers {
			r.Header.Add("Authorization", h)
		}
		id, err := a.Authenticate(r)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			continue
		}
		if err == nil && (id.User != "alice" || id.TokenID != tok.ID || id.Anonymous) {
			t.Errorf("%s: identity %+v, want alice's token", tt.name, id)
		}
	}
}

func TestAuthenticateAnonymousRead(t *testing.T) {
	tokens, _ := newTestTokens(t)
	secret, _ := mustCreate(t, tokens, "alice", 0, "ml/*:write")
	a := NewAuthenticator(tokens, true)

	id, err := a.Authenticate(httptest.NewRequest("GET", "/", nil))
	if err != nil || !id.Anonymous || id.User != AnonymousUser || id.TokenID != "" {
		t.Fatalf("no credentials: %+v, %v; want the anonymous identity", id, err)
	}
	if !id.Allows("any/repo", Read) || id.Allows("any/repo", Write) {
		t.Fatalf("anonymous identity grants %v, want read only", id.LevelFor("any/repo"))
	}

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	if id, err := a.Authenticate(r); err != nil || id.User != "alice" {
		t.Fatalf("with credentials: %+v, %v; want alice", id, err)
	}

	// Bad credentials are refused, not downgraded to anonymous.
	r.Header.Set("Authorization", "Bearer blst_nope")
	if _, err := a.Authenticate(r); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("bad credentials: %v, want ErrInvalidToken", err)
	}
}
