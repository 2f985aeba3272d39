package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/memory"
)

// testEnv is a registry over real parts: the store on the memory backend,
// SQLite metadata, real API tokens and registry tokens. Its server can be
// restarted over the same store and database.
type testEnv struct {
	t       *testing.T
	srv     *httptest.Server
	handler atomic.Pointer[http.Handler]
	stores  []*store.Store // every store a restart made, closed at the end

	db       *db.DB
	backend  store.Backend
	store    *store.Store
	tokens   *auth.Tokens
	registry *auth.RegistryTokens
	opts     envOptions
}

// envOptions configure a testEnv.
type envOptions struct {
	anonymousRead bool
	sparse        bool
	// backend, if set, is the store's backend instead of a memory one.
	backend store.Backend
	// wrap, if set, wraps the store the server sees.
	wrap func(*testEnv, *store.Store) BlobStore
}

// envOption sets an envOption.
type envOption func(*envOptions)

// withAnonymousRead lets requests without credentials read everything.
func withAnonymousRead() envOption { return func(o *envOptions) { o.anonymousRead = true } }

// withSparseManifests is --allow-sparse-manifests.
func withSparseManifests() envOption { return func(o *envOptions) { o.sparse = true } }

// withBackend stores into b.
func withBackend(b store.Backend) envOption { return func(o *envOptions) { o.backend = b } }

// withStoreWrapper serves the store through wrap.
func withStoreWrapper(wrap func(*testEnv, *store.Store) BlobStore) envOption {
	return func(o *envOptions) { o.wrap = wrap }
}

// newEnv starts a registry; everything is released when the test ends.
func newEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	e := &testEnv{t: t, backend: memory.New()}
	for _, o := range opts {
		o(&e.opts)
	}
	if e.opts.backend != nil {
		e.backend = e.opts.backend
	}
	ctx := context.Background()
	var err error
	e.db = dbtest.Open(t)
	e.tokens = auth.NewTokens(e.db)
	key, err := auth.LoadOrCreateKey(ctx, e.db, "registry-token")
	if err != nil {
		t.Fatal(err)
	}
	e.registry = auth.NewRegistryTokens(key, 0)
	// Cleanups run last-in first-out: the server stops (waiting for its
	// requests) before the stores close.
	t.Cleanup(func() {
		for _, st := range e.stores {
			st.Close()
		}
	})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*e.handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.restart()
	return e
}

// restart replaces the server by a new one over a new store on the same
// backend and database, as after a process restart.
func (e *testEnv) restart() {
	e.t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := store.New(e.backend, e.db, store.Options{Logger: log})
	if err != nil {
		e.t.Fatal(err)
	}
	e.stores = append(e.stores, st)
	e.store = st
	var bs BlobStore = st
	if e.opts.wrap != nil {
		bs = e.opts.wrap(e, st)
	}
	authn := auth.NewAuthenticator(e.tokens, e.opts.anonymousRead).WithRegistryTokens(e.registry)
	h := New(Config{
		Store: bs, Auth: authn, Tokens: e.registry, DB: e.db, PublicURL: e.srv.URL,
		AllowSparseManifests: e.opts.sparse, Logger: log,
	})
	e.handler.Store(&h)
}

// token creates an API token for user with scopes such as "ml/*:write"
// and returns its secret.
func (e *testEnv) token(user string, scopes ...string) string {
	e.t.Helper()
	var sc []auth.Scope
	for _, s := range scopes {
		p, err := auth.ParseScope(s)
		if err != nil {
			e.t.Fatal(err)
		}
		sc = append(sc, p)
	}
	secret, _, err := e.tokens.Create(context.Background(), user, sc, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// registryToken issues a registry token directly, bypassing /auth/token,
// on the strength of a new API token of user's.
func (e *testEnv) registryToken(user string, grants ...auth.Scope) string {
	e.t.Helper()
	_, parent, err := e.tokens.Create(context.Background(), user, []auth.Scope{{Pattern: "*", Level: auth.Admin}}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.registry.Issue(user, parent.ID, grants)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// putBlob stores data in repo through the store, as the LFS server would.
func (e *testEnv) putBlob(repo string, data []byte) digest.Digest {
	e.t.Helper()
	d := digest.FromBytes(data)
	if _, err := e.store.Put(context.Background(), repo, d, int64(len(data)), bytes.NewReader(data)); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// hasBlob reports whether blob d is visible in repo.
func (e *testEnv) hasBlob(repo string, d digest.Digest) bool {
	e.t.Helper()
	_, err := e.store.Stat(context.Background(), repo, d)
	return err == nil
}

// reply is a response with its body read.
type reply struct {
	*http.Response
	body []byte
}

// reqOption adjusts a request before it is sent.
type reqOption func(*http.Request)

// withBasic sends secret as the Basic password.
func withBasic(secret string) reqOption {
	return func(r *http.Request) { r.SetBasicAuth("user", secret) }
}

// withBearer sends tok as a Bearer token.
func withBearer(tok string) reqOption {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// withHeader sets a request header.
func withHeader(name, value string) reqOption {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// withBody sends b with its Content-Length.
func withBody(b []byte) reqOption {
	return func(r *http.Request) {
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
}

// withStream sends rd with chunked transfer encoding (no Content-Length).
func withStream(rd io.Reader) reqOption {
	return func(r *http.Request) {
		r.Body = io.NopCloser(rd)
		r.ContentLength = -1
	}
}

// do sends a request to target, a path on the server or an absolute URL.
func (e *testEnv) do(method, target string, opts ...reqOption) reply {
	e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = e.srv.URL + target
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{Response: resp, body: b}
}

// want fails the test unless the reply has status.
func (r reply) want(t *testing.T, status int) reply {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
	return r
}

// wantError fails the test unless the reply is the spec error code with
// status.
func (r reply) wantError(t *testing.T, status int, code Code) reply {
	t.Helper()
	r.want(t, status)
	if r.Request.Method == http.MethodHead {
		return r
	}
	var eb errorBody
	if err := json.Unmarshal(r.body, &eb); err != nil || len(eb.Errors) == 0 || eb.Errors[0].Code != code {
		t.Fatalf("%s %s: body %s, want error %s", r.Request.Method, r.Request.URL.Path, r.body, code)
	}
	return r
}
