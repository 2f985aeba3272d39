package lfsserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// Tokens of the test identities.
const (
	tokWriter = "writer-token" // alice: write on ml/*
	tokReader = "reader-token" // bob: read on ml/*
	tokBob    = "bob-write"    // bob: write on ml/*
	tokOther  = "other-token"  // carol: write on other/* only
	tokAdmin  = "admin-token"  // root: admin on everything
)

const testRepo = "ml/cat"

// env is an LFS server over a fake store, fake tokens and a real SQLite
// database for locks.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	store *fakeStore
	auth  *fakeAuth
}

func newEnv(t *testing.T, configure ...func(*Config)) *env {
	t.Helper()
	database := dbtest.Open(t)
	e := &env{t: t, store: newFakeStore(), auth: &fakeAuth{tokens: map[string]*auth.Identity{
		tokWriter: identity("alice", "ml/*:write"),
		tokReader: identity("bob", "ml/*:read"),
		tokBob:    identity("bob", "ml/*:write"),
		tokOther:  identity("carol", "other/*:write"),
		tokAdmin:  identity("root", "*:admin"),
	}}}
	cfg := Config{Store: e.store, Auth: e.auth, DB: database}
	for _, c := range configure {
		c(&cfg)
	}
	e.srv = httptest.NewServer(New(cfg))
	t.Cleanup(e.srv.Close)
	return e
}

// lfsURL is the LFS endpoint of repo on the test server.
func (e *env) lfsURL(repo string) string { return e.srv.URL + "/" + repo + ".git/info/lfs" }

// do sends a request with the token as the Basic password ("" sends none)
// and extra headers as name, value pairs.
func (e *env) do(method, url, token string, body io.Reader, headers ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.SetBasicAuth("user", token)
	}
	req.Header.Set("Accept", mediaType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// doJSON posts (or sends with method) v as a Git LFS JSON body.
func (e *env) doJSON(method, url, token string, v any, headers ...string) *http.Response {
	e.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(method, url, token, bytes.NewReader(body), append([]string{"Content-Type", mediaType}, headers...)...)
}

// batch posts a batch request to repo and decodes a 200 response.
func (e *env) batch(repo, token string, v any) batchResponse {
	e.t.Helper()
	resp := e.doJSON(http.MethodPost, e.lfsURL(repo)+"/objects/batch", token, v)
	var br batchResponse
	decodeAs(e.t, resp, http.StatusOK, &br)
	return br
}

// put uploads data to repo with a plain PUT.
func (e *env) put(repo, token string, data []byte) *http.Response {
	e.t.Helper()
	return e.do(http.MethodPut, e.lfsURL(repo)+"/objects/"+oidOf(data), token, bytes.NewReader(data))
}

// decodeAs checks the status and Content-Type of a JSON response and
// decodes its body into v.
func decodeAs(t *testing.T, resp *http.Response, status int, v any) {
	t.Helper()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != mediaType {
		t.Fatalf("Content-Type %q, want %q", ct, mediaType)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode body: %v", err)
	}
}

// wantError checks that resp is a whole-response error with status and a
// spec-shaped body, and returns the body.
func wantError(t *testing.T, resp *http.Response, status int) errorBody {
	t.Helper()
	var body errorBody
	decodeAs(t, resp, status, &body)
	if body.Message == "" || body.RequestID == "" {
		t.Fatalf("error body %+v lacks message or request_id", body)
	}
	if got := resp.Header.Get("X-Request-Id"); got != body.RequestID {
		t.Fatalf("X-Request-Id %q, body request_id %q", got, body.RequestID)
	}
	return body
}

// batchBody is a batch request body for op and the objects.
func batchBody(op string, ps ...pointer) map[string]any {
	return map[string]any{"operation": op, "transfers": []string{"basic"}, "objects": ps}
}
