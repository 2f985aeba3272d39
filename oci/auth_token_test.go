package oci

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// getToken runs the token flow: GET /auth/token with scopes and opts
// (credentials) and returns the decoded 200 answer.
func (e *testEnv) getToken(scopes []string, opts ...reqOption) tokenResponse {
	e.t.Helper()
	q := url.Values{"service": {"registry.test"}, "scope": scopes}
	r := e.do("GET", TokenPath+"?"+q.Encode(), opts...).want(e.t, http.StatusOK)
	var tr tokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil {
		e.t.Fatal(err)
	}
	if tr.Token == "" || tr.Token != tr.AccessToken || tr.ExpiresIn != 300 {
		e.t.Fatalf("token response %s", r.body)
	}
	issued, err := time.Parse(time.RFC3339, tr.IssuedAt)
	if err != nil || time.Since(issued) > time.Minute || time.Until(issued) > time.Minute {
		e.t.Fatalf("issued_at %q: %v", tr.IssuedAt, err)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		e.t.Fatalf("Cache-Control %q", cc)
	}
	return tr
}

func TestTokenFlow(t *testing.T) {
	e := newEnv(t)
	secret := e.token("alice", "ml/*:write")
	data := []byte("weights")
	d := digest.FromBytes(data)

	tok := e.getToken([]string{"repository:ml/x:pull,push"}, withBasic(secret)).Token
	if !strings.HasPrefix(tok, auth.RegistryTokenPrefix) {
		t.Fatalf("token %q", tok)
	}
	e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+d.String(), withBearer(tok), withBody(data)).want(t, http.StatusCreated)
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(tok)).want(t, http.StatusOK)
	e.do("GET", "/v2/", withBearer(tok)).want(t, http.StatusOK)
	// The token covers only what was asked: ml/y needs another.
	e.wantChallenge(e.do("GET", "/v2/ml/y/blobs/"+d.String(), withBearer(tok)), "repository:ml/y:pull")

	// Bearer API token works at the token endpoint too; no scope (as in
	// docker login) still yields a token.
	login := e.getToken(nil, withBearer(secret)).Token
	e.do("GET", "/v2/", withBearer(login)).want(t, http.StatusOK)
}

func TestTokenScopeIntersection(t *testing.T) {
	e := newEnv(t)
	reader := e.token("bob", "ml/*:read", "other/x:write")
	d := e.putBlob("ml/x", []byte("m"))

	tok := e.getToken([]string{"repository:ml/x:pull,push repository:secret/x:pull", "repository:other/x:delete"}, withBasic(reader)).Token
	id, err := e.registry.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]auth.Level{"ml/x": auth.Read, "secret/x": auth.None, "other/x": auth.Write}
	if len(id.Scopes) != len(want) {
		t.Fatalf("scopes %v", id.Scopes)
	}
	for _, sc := range id.Scopes {
		if want[sc.Pattern] != sc.Level {
			t.Fatalf("scopes %v, want %v", id.Scopes, want)
		}
	}
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(tok)).want(t, http.StatusOK)
	e.do("POST", "/v2/ml/x/blobs/uploads/", withBearer(tok)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do("GET", "/v2/secret/x/blobs/"+d.String(), withBearer(tok)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do("DELETE", "/v2/other/x/blobs/"+d.String(), withBearer(tok)).wantError(t, http.StatusNotFound, CodeBlobUnknown)
}

func TestTokenActions(t *testing.T) {
	cases := []struct {
		have    auth.Level
		actions string
		want    auth.Level
	}{
		{auth.Write, "pull", auth.Read},
		{auth.Write, "pull,push", auth.Write},
		{auth.Read, "pull,push", auth.Read},
		{auth.Read, "push", auth.None},
		{auth.Write, "delete", auth.Write},
		{auth.Write, "*", auth.None},
		{auth.Admin, "*", auth.Admin},
		{auth.Admin, "fly", auth.None},
		{auth.None, "pull", auth.None},
	}
	for _, c := range cases {
		if got := granted(c.have, strings.Split(c.actions, ",")); got != c.want {
			t.Errorf("granted(%v, %q) = %v, want %v", c.have, c.actions, got, c.want)
		}
	}
}

func TestTokenWildcardScope(t *testing.T) {
	e := newEnv(t)
	secret := e.token("alice", "ml/*:write", "data/x:read")
	tok := e.getToken([]string{"repository:*:pull"}, withBasic(secret)).Token
	id, err := e.registry.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Allows("ml/y", auth.Read) || id.Allows("ml/y", auth.Write) || !id.Allows("data/x", auth.Read) || id.Allows("other/z", auth.Read) {
		t.Fatalf("scopes %v", id.Scopes)
	}
}

func TestTokenRefusals(t *testing.T) {
	e := newEnv(t)
	secret := e.token("alice", "ml/*:write")
	scope := "?scope=repository:ml/x:pull"

	// No credentials and no anonymous read: Basic challenge, so that
	// clients send the user's credentials.
	r := e.do("GET", TokenPath+scope).wantError(t, http.StatusUnauthorized, CodeUnauthorized)
	if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic realm=") {
		t.Fatalf("WWW-Authenticate %q", got)
	}
	e.do("GET", TokenPath+scope, withBasic("blst_wrong")).wantError(t, http.StatusUnauthorized, CodeUnauthorized)

	// A registry token cannot be traded for a fresh one.
	tok := e.getToken([]string{"repository:ml/x:pull"}, withBasic(secret)).Token
	e.do("GET", TokenPath+scope, withBearer(tok)).wantError(t, http.StatusUnauthorized, CodeUnauthorized)

	// Too many scopes.
	many := strings.Repeat("repository:ml/x:pull ", maxTokenScopes+1)
	e.do("GET", TokenPath+"?scope="+url.QueryEscape(many), withBasic(secret)).want(t, http.StatusBadRequest)
	e.do("PUT", TokenPath, withBasic(secret)).want(t, http.StatusMethodNotAllowed)
}

func TestTokenOAuthForm(t *testing.T) {
	e := newEnv(t)
	secret := e.token("alice", "ml/*:write")
	form := func(v url.Values) reply {
		return e.do("POST", TokenPath, withHeader("Content-Type", "application/x-www-form-urlencoded"), withBody([]byte(v.Encode())))
	}
	for _, v := range []url.Values{
		{"grant_type": {"password"}, "username": {"alice"}, "password": {secret}, "scope": {"repository:ml/x:pull,push"}, "service": {"x"}},
		{"grant_type": {"refresh_token"}, "refresh_token": {secret}, "scope": {"repository:ml/x:pull,push"}},
	} {
		r := form(v).want(t, http.StatusOK)
		var tr tokenResponse
		if err := json.Unmarshal(r.body, &tr); err != nil || tr.AccessToken == "" {
			t.Fatalf("body %s", r.body)
		}
		e.do("POST", "/v2/ml/x/blobs/uploads/", withBearer(tr.AccessToken)).want(t, http.StatusAccepted)
	}
	form(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wrong"}}).want(t, http.StatusUnauthorized)
	form(url.Values{"grant_type": {"client_credentials"}}).want(t, http.StatusBadRequest)
}

func TestTokenAnonymous(t *testing.T) {
	e := newEnv(t, withAnonymousRead())
	d := e.putBlob("ml/x", []byte("public"))
	tok := e.getToken([]string{"repository:ml/x:pull,push"}).Token
	id, err := e.registry.Verify(tok)
	if err != nil || !id.Anonymous {
		t.Fatalf("%+v, %v", id, err)
	}
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(tok)).want(t, http.StatusOK)
	// Pushing anonymously asks for credentials.
	e.wantChallenge(e.do("POST", "/v2/ml/x/blobs/uploads/", withBearer(tok)), "repository:ml/x:pull,push")
}

func TestRegistryTokenExpiredOrTampered(t *testing.T) {
	e := newEnv(t)
	d := e.putBlob("ml/x", []byte("m"))
	key, err := auth.LoadOrCreateKey(context.Background(), e.db, "registry-token")
	if err != nil {
		t.Fatal(err)
	}
	grant := auth.Scope{Pattern: "ml/x", Level: auth.Read}
	_, parent, err := e.tokens.Create(context.Background(), "alice", []auth.Scope{grant}, 0)
	if err != nil {
		t.Fatal(err)
	}
	expired, _, err := auth.NewRegistryTokens(key, time.Nanosecond).Issue("alice", parent.ID, []auth.Scope{grant})
	if err != nil {
		t.Fatal(err)
	}
	good := e.registryToken("alice", grant)
	body, sig, _ := strings.Cut(good, ".")
	for name, tok := range map[string]string{
		"expired":       expired,
		"tampered":      body + "x." + sig,
		"bad signature": body + "." + strings.ToUpper(sig),
		"truncated":     body,
		"api prefix":    auth.SecretPrefix + strings.TrimPrefix(good, auth.RegistryTokenPrefix),
	} {
		r := e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(tok))
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s token: status %d, want 401", name, r.StatusCode)
		}
	}
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(good)).want(t, http.StatusOK)
}

func TestTokenEndpointUnconfigured(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	h := New(Config{Store: e.store, Auth: auth.NewAuthenticator(e.tokens, false), DB: e.db, PublicURL: e.srv.URL})
	e.handler.Store(&h)
	e.do("GET", TokenPath, withBasic(tok)).want(t, http.StatusNotFound)
	r := e.do("GET", "/v2/")
	if got := r.Header.Get("WWW-Authenticate"); r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(got, "Basic ") {
		t.Fatalf("status %d, WWW-Authenticate %q; want a Basic challenge", r.StatusCode, got)
	}
}

// Revoking an API token stops the registry tokens minted from it on their
// next request, not when they expire.
func TestRegistryTokenStopsWhenItsTokenIsRevoked(t *testing.T) {
	e := newEnv(t)
	d := e.putBlob("ml/x", []byte("model"))
	secret := e.token("alice", "ml/*:read")
	tok := e.getToken([]string{"repository:ml/x:pull"}, withBasic(secret)).Token
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(tok)).want(t, http.StatusOK)

	id, err := e.tokens.Lookup(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.tokens.Revoke(context.Background(), id.TokenID); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(tok)).wantError(t, http.StatusUnauthorized, CodeUnauthorized)
	e.do("GET", TokenPath+"?scope=repository:ml/x:pull", withBasic(secret)).wantError(t, http.StatusUnauthorized, CodeUnauthorized)
}
