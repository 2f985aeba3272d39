package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/httpapi/api"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/testkit/gittest"
)

// env is the API over real parts: SQLite, tokens, a gitindex Indexer and
// a pull log, with Git repositories built by the git binary.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	db     *db.DB
	tokens *auth.Tokens
	index  *gitindex.Indexer
	pulls  *pulllog.Recorder
}

// published is the manifest digest the test publisher reports for v1.0.0.
var published = "sha256:" + strings.Repeat("e", 64)

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t)
}

// newEnvWith is newEnv with changes to the API's configuration.
func newEnvWith(t *testing.T, configure ...func(*api.Config)) *env {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	d := dbtest.Open(t)
	e := &env{t: t, db: d, tokens: auth.NewTokens(d),
		index: gitindex.New(d, filepath.Join(t.TempDir(), "git"), slog.New(slog.DiscardHandler)),
		pulls: pulllog.New(d, pulllog.Options{})}
	t.Cleanup(func() { e.pulls.Close() })
	cfg := api.Config{
		Index: e.index, Pulls: e.pulls, Auth: auth.NewAuthenticator(e.tokens, false),
		Published: func(_ context.Context, repo, ref string) (api.Publication, error) {
			switch ref {
			case "v1.0.0":
				return api.Publication{Digest: published, Tag: "v1.0.0"}, nil
			case "v1.1.1": // its OCI tag deleted by hand
				return api.Publication{Digest: published, Tag: "git-0123456789ab", MissingTag: "v1.1.1"}, nil
			case "broken":
				return api.Publication{}, fmt.Errorf("publisher down")
			}
			return api.Publication{}, nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, c := range configure {
		c(&cfg)
	}
	e.srv = httptest.NewServer(api.New(cfg))
	t.Cleanup(e.srv.Close)
	return e
}

// token issues a token to user with scopes such as "ml/a:read".
func (e *env) token(user string, scopes ...string) string {
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

// do sends a request with secret as Bearer token ("" for none) and
// returns the response with its body read.
func (e *env) do(method, path, secret, body string, headers ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// get GETs path and decodes a 200 response into v, zeroed first.
func (e *env) get(path, secret string, v any) *http.Response {
	e.t.Helper()
	reflect.ValueOf(v).Elem().SetZero()
	resp, b := e.do(http.MethodGet, path, secret, "")
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		e.t.Fatalf("GET %s: %v in %s", path, err, b)
	}
	return resp
}

// wantError checks that a response is a JSON error with status and code.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	var e httpx.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d, body %q is not a JSON error: %v", resp.StatusCode, body, err)
	}
	if resp.StatusCode != status || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("%s %s: got %d %+v, want %d with code %q and a message", resp.Request.Method,
			resp.Request.URL.Path, resp.StatusCode, e.Error, status, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

// connect connects repo to the Git repository at dir (a local path, which
// needs an admin token) and syncs it.
func (e *env) connect(repo, dir string) api.SyncResult {
	e.t.Helper()
	admin := e.token("root", "*:admin")
	resp, b := e.do(http.MethodPut, "/api/v1/repos/"+repo+"/git", admin, fmt.Sprintf(`{"url":%q}`, dir))
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("connect %s: %d %s", repo, resp.StatusCode, b)
	}
	resp, b = e.do(http.MethodPost, "/api/v1/repos/"+repo+"/git/sync", admin, "")
	var res api.SyncResult
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil {
		e.t.Fatalf("sync %s: %d %s", repo, resp.StatusCode, b)
	}
	return res
}

// story is the history the provenance tests query: ml/a has three tagged
// commits (v1.0.0; v1.1.0 changes the classifier, adds extra.onnx and
// removes tok.onnx; v1.1.1 reverts v1.1.0); ml/b holds a copy of v1.
type story struct {
	e                    *env
	a, b                 *gittest.Repo
	v1, v2, tok, extra   string // digests
	c1, c2, c3, cb       string // commits
	reader, other, admin string // tokens: ml/a:read, ml/b:read, *:admin
}

func newStory(t *testing.T) *story {
	e := newEnv(t)
	s := &story{e: e, a: newGitRepo(t), b: newGitRepo(t)}
	s.v1 = s.a.Pointer("models/cls.onnx", "classifier v1")
	s.tok = s.a.Pointer("models/tok.onnx", "tokenizer")
	s.c1 = s.a.Commit("Classifier v1", "v1.0.0")
	s.v2 = s.a.Pointer("models/cls.onnx", "classifier v2, retrained")
	s.extra = s.a.Pointer("models/extra.onnx", "an extra head")
	if err := os.Remove(filepath.Join(s.a.Dir, "models", "tok.onnx")); err != nil {
		t.Fatal(err)
	}
	s.c2 = s.a.Commit("Classifier v2\n\nRetrained on more cats.", "v1.1.0")
	s.a.Tick()
	s.a.Git("revert", "--no-edit", "HEAD")
	s.a.Git("tag", "v1.1.1")
	s.c3 = s.a.Git("rev-parse", "HEAD")
	s.b.Pointer("weights/copy.onnx", "classifier v1")
	s.b.Advance(time.Hour) // the newest commit of all
	s.cb = s.b.Commit("Copy of the classifier", "v9")
	e.connect("ml/a", s.a.Dir)
	e.connect("ml/b", s.b.Dir)
	s.reader = e.token("alice", "ml/a:read")
	s.other = e.token("bob", "ml/b:read")
	s.admin = e.token("root", "*:admin")
	return s
}

// newGitRepo is a repository whose *.onnx files are Git LFS pointers.
func newGitRepo(t *testing.T) *gittest.Repo {
	return gittest.New(t, "*.onnx filter=lfs diff=lfs merge=lfs -text\n")
}
