package adminapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

type fixture struct {
	srv    *httptest.Server
	tokens *auth.Tokens
	admin  string // secret of a "*:admin" token
	gc     *gcStub
	db     *db.DB
}

func newFixture(t *testing.T, anonymousRead bool) *fixture {
	t.Helper()
	d := dbtest.Open(t)
	tokens := auth.NewTokens(d)
	admin, _, err := tokens.Create(context.Background(), "root", []auth.Scope{auth.AdminScope}, 0)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	gc := &gcStub{}
	srv := httptest.NewServer(adminapi.New(tokens, auth.NewAuthenticator(tokens, anonymousRead), gc.run, logger))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, tokens: tokens, admin: admin, gc: gc, db: d}
}

// do sends a request with the given secret as Bearer token ("" for none)
// and returns the response with its body read.
func (f *fixture) do(t *testing.T, method, path, secret, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// wantError checks that a response is a JSON error with status and code.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	var e httpx.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d, body %q is not a JSON error: %v", resp.StatusCode, body, err)
	}
	if resp.StatusCode != status || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("got %d %+v, want %d with code %q and a message", resp.StatusCode, e.Error, status, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

func (f *fixture) create(t *testing.T, body string) adminapi.Token {
	t.Helper()
	resp, b := f.do(t, "POST", "/api/v1/tokens", f.admin, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var tok adminapi.Token
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) list(t *testing.T) []adminapi.Token {
	t.Helper()
	resp, b := f.do(t, "GET", "/api/v1/tokens", f.admin, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	var l adminapi.TokenList
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	return l.Tokens
}

func find(list []adminapi.Token, id string) *adminapi.Token {
	for i := range list {
		if list[i].ID == id {
			return &list[i]
		}
	}
	return nil
}

func TestCreateToken(t *testing.T) {
	f := newFixture(t, false)
	tok := f.create(t, `{"user":"alice","scopes":["ml/*:write"],"expires_in":86400}`)
	if tok.User != "alice" || len(tok.Scopes) != 1 || tok.Scopes[0] != "ml/*:write" || tok.ID == "" {
		t.Fatalf("created %+v", tok)
	}
	if !strings.HasPrefix(tok.Secret, auth.SecretPrefix) {
		t.Fatalf("secret %q lacks prefix %q", tok.Secret, auth.SecretPrefix)
	}
	if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(tok.CreatedAt.Add(24*time.Hour)) {
		t.Fatalf("expires_at %v, want created_at %v + 24h", tok.ExpiresAt, tok.CreatedAt)
	}
	id, err := f.tokens.Lookup(context.Background(), tok.Secret)
	if err != nil || id.User != "alice" || !id.Allows("ml/cat", auth.Write) || id.Allows("ml/cat", auth.Admin) {
		t.Fatalf("the issued secret grants %+v, %v", id, err)
	}
}

func TestCreateTokenWithoutExpiry(t *testing.T) {
	f := newFixture(t, false)
	resp, b := f.do(t, "POST", "/api/v1/tokens", f.admin, `{"user":"ci","scopes":["ml/a:read","ml/b:write"]}`)
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if v, ok := raw["expires_at"]; !ok || v != nil {
		t.Fatalf("expires_at = %v (present %v), want null", v, ok)
	}
}

func TestListAndRevoke(t *testing.T) {
	f := newFixture(t, false)
	created := f.create(t, `{"user":"alice","scopes":["ml/*:write"]}`)

	resp, b := f.do(t, "GET", "/api/v1/tokens", f.admin, "")
	if strings.Contains(string(b), created.Secret) || strings.Contains(string(b), `"token":`) {
		t.Fatalf("list shows a secret: %s", b)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d", resp.StatusCode)
	}
	list := f.list(t)
	if got := find(list, created.ID); len(list) != 2 || got == nil || got.User != "alice" || got.RevokedAt != nil {
		t.Fatalf("list = %+v, want root's token and alice's", list)
	}

	resp, b = f.do(t, "DELETE", "/api/v1/tokens/"+created.ID, f.admin, "")
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("revoke: %d %q", resp.StatusCode, b)
	}
	if got := find(f.list(t), created.ID); got == nil || got.RevokedAt == nil {
		t.Fatalf("revoked token listed as %+v", got)
	}
	if _, err := f.tokens.Lookup(context.Background(), created.Secret); err == nil {
		t.Fatal("revoked secret still works")
	}

	resp, b = f.do(t, "DELETE", "/api/v1/tokens/nosuchid", f.admin, "")
	wantError(t, resp, b, http.StatusNotFound, "token_not_found")
}

func TestAuthRequired(t *testing.T) {
	f := newFixture(t, false)
	narrow := f.create(t, `{"user":"ops","scopes":["ml/*:admin"]}`)
	revoked := f.create(t, `{"user":"old","scopes":["*:admin"]}`)
	f.do(t, "DELETE", "/api/v1/tokens/"+revoked.ID, f.admin, "")

	tests := []struct {
		name, secret string
		status       int
		code         string
	}{
		{"no credentials", "", http.StatusUnauthorized, "unauthorized"},
		{"unknown token", "blst_nope", http.StatusUnauthorized, "unauthorized"},
		{"revoked admin", revoked.Secret, http.StatusUnauthorized, "unauthorized"},
		{"admin of some repositories only", narrow.Secret, http.StatusForbidden, "forbidden"},
	}
	for _, tt := range tests {
		for _, m := range []string{"GET", "POST"} {
			resp, b := f.do(t, m, "/api/v1/tokens", tt.secret, `{"user":"x","scopes":["*:admin"]}`)
			wantError(t, resp, b, tt.status, tt.code)
			if tt.status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != `Basic realm="ballast"` {
				t.Errorf("%s: WWW-Authenticate %q", tt.name, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	if len(f.list(t)) != 3 {
		t.Fatal("a refused request created a token")
	}
}

func TestAnonymousReadIsNotAdmin(t *testing.T) {
	f := newFixture(t, true)
	resp, b := f.do(t, "GET", "/api/v1/tokens", "", "")
	wantError(t, resp, b, http.StatusUnauthorized, "unauthorized")
}

func TestBasicAuth(t *testing.T) {
	f := newFixture(t, false)
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/tokens", nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("whoever:"+f.admin)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Basic auth: %d", resp.StatusCode)
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `user=alice`, 400, "bad_json"},
		{"empty body", ``, 400, "bad_json"},
		{"unknown field", `{"user":"alice","scopes":["ml/*:read"],"admin":true}`, 400, "bad_json"},
		{"wrong type", `{"user":"alice","scopes":"ml/*:read"}`, 400, "bad_json"},
		{"fractional expiry", `{"user":"alice","scopes":["ml/*:read"],"expires_in":1.5}`, 400, "bad_json"},
		{"two values", `{"user":"alice","scopes":["ml/*:read"]} {}`, 400, "bad_json"},
		{"bad user", `{"user":"al ice","scopes":["ml/*:read"]}`, 400, "invalid_user"},
		{"no user", `{"scopes":["ml/*:read"]}`, 400, "invalid_user"},
		{"bad scope", `{"user":"alice","scopes":["ml/*:owner"]}`, 400, "invalid_scope"},
		{"no scopes", `{"user":"alice","scopes":[]}`, 400, "invalid_scope"},
		{"negative expiry", `{"user":"alice","scopes":["ml/*:read"],"expires_in":-1}`, 400, "invalid_expiry"},
		{"huge expiry", `{"user":"alice","scopes":["ml/*:read"],"expires_in":9223372036854775807}`, 400, "invalid_expiry"},
		{"too large", `{"user":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := f.do(t, "POST", "/api/v1/tokens", f.admin, tt.body)
			wantError(t, resp, b, tt.status, tt.code)
		})
	}
	if len(f.list(t)) != 1 {
		t.Fatal("a bad request created a token")
	}
}

func TestRoutes(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"PUT", "/api/v1/tokens", 405, "method_not_allowed", "GET, POST"},
		{"GET", "/api/v1/tokens/abc", 405, "method_not_allowed", "DELETE"},
		{"GET", "/api/v1/nothing", 404, "not_found", ""},
		{"DELETE", "/api/v1/tokens/a/b", 404, "not_found", ""},
	}
	for _, tt := range tests {
		resp, b := f.do(t, tt.method, tt.path, f.admin, "")
		wantError(t, resp, b, tt.status, tt.code)
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}

// A full metadata database answers 507 with a message naming no server
// path, and token creation works again once there is room.
func TestCreateTokenOnFullDatabase(t *testing.T) {
	f := newFixture(t, false)
	if f.db.Dialect != db.SQLite {
		t.Skip("fills the database with SQLite's max_page_count; db.IsNoSpace's test covers PostgreSQL's disk_full")
	}
	f.db.SetMaxOpenConns(1) // the page limit is per connection
	var pages int
	if err := f.db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`PRAGMA max_page_count = ` + strconv.Itoa(pages)); err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	var b []byte
	for i := 0; i < 200; i++ { // until the pages' free room is used up
		resp, b = f.do(t, "POST", "/api/v1/tokens", f.admin, `{"user":"ci","scopes":["ml/a:read"]}`)
		if resp.StatusCode != http.StatusCreated {
			break
		}
	}
	wantError(t, resp, b, http.StatusInsufficientStorage, "insufficient_storage")
	if strings.Contains(string(b), "/") && strings.Contains(string(b), "meta.db") {
		t.Fatalf("the error names a server path: %s", b)
	}
	if _, err := f.db.Exec(`PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	if resp, b := f.do(t, "POST", "/api/v1/tokens", f.admin, `{"user":"ci","scopes":["ml/a:read"]}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after space was freed: %d %s", resp.StatusCode, b)
	}
}
