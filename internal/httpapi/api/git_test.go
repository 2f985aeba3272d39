package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/httpapi/api"
	"github.com/ballastml/ballast/store"
)

func TestConnectShowDisconnect(t *testing.T) {
	e := newEnv(t)
	g := newGitRepo(t)
	g.Pointer("models/cls.onnx", "v1")
	sha := g.Commit("v1", "v1.0.0")
	admin := e.token("root", "*:admin")
	reader := e.token("alice", "ml/x:read")

	resp, b := e.do(http.MethodPut, "/api/v1/repos/ml/x/git", admin,
		fmt.Sprintf(`{"url":%q,"tag_pattern":"v*","path_filter":"models/**"}`, g.Dir))
	var st api.GitStatus
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &st) != nil {
		t.Fatalf("connect: %d %s", resp.StatusCode, b)
	}
	if st.Repo != "ml/x" || st.Git.URL != g.Dir || st.Git.TagPattern != "v*" || st.Git.PathFilter != "models/**" ||
		st.LastSync != nil || len(st.Refs) != 0 {
		t.Fatalf("after connect: %+v", st)
	}

	var res api.SyncResult
	resp, b = e.do(http.MethodPost, "/api/v1/repos/ml/x/git/sync", e.token("ci", "ml/x:write"), `{"ref":"refs/heads/main","zen":"webhook payloads are ignored"}`)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil {
		t.Fatalf("sync: %d %s", resp.StatusCode, b)
	}
	if res.Repo != "ml/x" || res.NewCommits != 1 || len(res.Changed) != 2 {
		t.Fatalf("sync result %+v", res)
	}

	e.get("/api/v1/repos/ml/x/git", reader, &st)
	if st.LastSync == nil || st.LastError != "" || len(st.Refs) != 2 || st.Refs[0] != (api.Ref{Name: "main", Kind: "branch", Commit: sha}) ||
		st.Refs[1] != (api.Ref{Name: "v1.0.0", Kind: "tag", Commit: sha}) {
		t.Fatalf("show: %+v", st)
	}

	resp, b = e.do(http.MethodDelete, "/api/v1/repos/ml/x/git", admin, "")
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("disconnect: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do(http.MethodGet, "/api/v1/repos/ml/x/git", reader, "")
	wantError(t, resp, b, http.StatusNotFound, "repo_not_connected")
	resp, b = e.do(http.MethodDelete, "/api/v1/repos/ml/x/git", admin, "")
	wantError(t, resp, b, http.StatusNotFound, "repo_not_connected")
}

func TestShowNeverShowsThePassword(t *testing.T) {
	e := newEnv(t)
	admin := e.token("root", "*:admin")
	resp, b := e.do(http.MethodPut, "/api/v1/repos/ml/x/git", admin,
		`{"url":"https://git.example.com/ml/x.git","username":"bot","password":"hunter2-secret","no_check":true}`)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), "hunter2") {
		t.Fatalf("connect: %d %s", resp.StatusCode, b)
	}
	var st api.GitStatus
	e.get("/api/v1/repos/ml/x/git", admin, &st)
	if st.Git.Username != "bot" || !st.Git.PasswordSet {
		t.Fatalf("show: %+v", st.Git)
	}
	_, b = e.do(http.MethodGet, "/api/v1/repos/ml/x/git", admin, "")
	if strings.Contains(string(b), "hunter2") {
		t.Fatalf("show leaks the password: %s", b)
	}
}

func TestConnectErrors(t *testing.T) {
	e := newEnv(t)
	admin := e.token("root", "*:admin")
	repoAdmin := e.token("ops", "ml/*:admin")
	tests := []struct {
		name, secret, body string
		status             int
		code               string
	}{
		{"no URL", admin, `{}`, 400, "invalid_source"},
		{"relative path", admin, `{"url":"some/dir"}`, 400, "invalid_source"},
		{"credentials in URL", admin, `{"url":"https://u:p@git.example.com/x.git"}`, 400, "invalid_source"},
		{"ssh URL", admin, `{"url":"ssh://git@git.example.com/x.git"}`, 400, "invalid_source"},
		{"unknown field", admin, `{"url":"https://git.example.com/x.git","branch":"main"}`, 400, "bad_json"},
		{"not JSON", admin, `url=x`, 400, "bad_json"},
		{"local path needs *:admin", repoAdmin, `{"url":"/srv/git/other.git"}`, 403, "forbidden"},
		{"file URL needs *:admin", repoAdmin, `{"url":"file:///srv/git/other.git"}`, 403, "forbidden"},
		{"write is not enough", e.token("ci", "ml/*:write"), `{"url":"https://git.example.com/x.git"}`, 403, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := e.do(http.MethodPut, "/api/v1/repos/ml/x/git", tt.secret, tt.body)
			wantError(t, resp, b, tt.status, tt.code)
		})
	}
	resp, b := e.do(http.MethodPut, "/api/v1/repos/ml/x/git", repoAdmin, `{"url":"https://git.example.com/x.git","no_check":true}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a repository admin connecting an https URL: %d %s", resp.StatusCode, b)
	}
}

// TestConnectChecksTheRemote: a remote that does not answer as Git is
// refused before anything is saved, unless no_check asks to save it anyway.
func TestConnectChecksTheRemote(t *testing.T) {
	e := newEnv(t)
	admin := e.token("root", "*:admin")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	tests := []struct {
		name, url string
		status    int
		code      string
	}{
		{"a server answering 503", down.URL + "/x.git", http.StatusBadGateway, "git_unreachable"},
		{"nothing listening", closedURL + "/x.git", http.StatusBadGateway, "git_unreachable"},
		{"a directory that is no Git repository", t.TempDir(), http.StatusUnprocessableEntity, "not_git"},
		{"a path that does not exist", "/nonexistent/x.git", http.StatusBadGateway, "git_unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := e.do(http.MethodPut, "/api/v1/repos/ml/x/git", admin, fmt.Sprintf(`{"url":%q}`, tt.url))
			wantError(t, resp, b, tt.status, tt.code)
			if !strings.Contains(string(b), "no_check") {
				t.Errorf("the error does not say how to save it anyway: %s", b)
			}
			resp, b = e.do(http.MethodGet, "/api/v1/repos/ml/x/git", admin, "")
			wantError(t, resp, b, http.StatusNotFound, "repo_not_connected")
		})
	}
	g := newGitRepo(t)
	resp, b := e.do(http.MethodPut, "/api/v1/repos/ml/x/git", admin, fmt.Sprintf(`{"url":%q}`, g.Dir))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("connect a real Git repository: %d %s", resp.StatusCode, b)
	}
}

func TestSyncErrors(t *testing.T) {
	e := newEnv(t)
	admin := e.token("root", "*:admin")
	writer := e.token("ci", "ml/*:write")
	resp, b := e.do(http.MethodPost, "/api/v1/repos/ml/none/git/sync", writer, "")
	wantError(t, resp, b, http.StatusNotFound, "repo_not_connected")

	dir := t.TempDir() // exists, but is no Git repository
	e.do(http.MethodPut, "/api/v1/repos/ml/x/git", admin, fmt.Sprintf(`{"url":%q,"no_check":true}`, dir))
	resp, b = e.do(http.MethodPost, "/api/v1/repos/ml/x/git/sync", writer, "")
	wantError(t, resp, b, http.StatusUnprocessableEntity, "not_git")
	var st api.GitStatus
	e.get("/api/v1/repos/ml/x/git", writer, &st)
	if st.LastSync == nil || st.LastError == "" {
		t.Fatalf("a failed sync is not shown: %+v", st)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	e.do(http.MethodPut, "/api/v1/repos/ml/y/git", admin, fmt.Sprintf(`{"url":%q,"no_check":true}`, down.URL+"/x.git"))
	resp, b = e.do(http.MethodPost, "/api/v1/repos/ml/y/git/sync", writer, "")
	wantError(t, resp, b, http.StatusBadGateway, "git_unreachable")

	resp, b = e.do(http.MethodPost, "/api/v1/repos/ml/x/git/sync", e.token("alice", "ml/*:read"), "")
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
	resp, b = e.do(http.MethodPost, "/api/v1/repos/ml/x/git/sync", "", "")
	wantError(t, resp, b, http.StatusUnauthorized, "unauthorized")
}

func TestSyncWebhookWithGitLabToken(t *testing.T) {
	e := newEnv(t)
	g := newGitRepo(t)
	g.Commit("empty")
	e.connect("ml/x", g.Dir)
	resp, b := e.do(http.MethodPost, "/api/v1/repos/ml/x/git/sync", "", `{"object_kind":"push"}`,
		"X-Gitlab-Token", e.token("gitlab", "ml/x:write"), "X-Gitlab-Event", "Push Hook")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GitLab webhook: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do(http.MethodPost, "/api/v1/repos/ml/x/git/sync", "", "", "X-Gitlab-Token", "blst_wrong")
	wantError(t, resp, b, http.StatusUnauthorized, "unauthorized")
}

// GET /api/v1/repos lists the repositories the caller can read, in name
// order, a page at a time.
func TestListRepos(t *testing.T) {
	all := []string{"ml/a", "ml/b", "ml/c", "other/x"}
	e := newEnvWith(t, func(c *api.Config) {
		c.Repos = func(_ context.Context, after string, limit int) ([]string, error) {
			var out []string
			for _, r := range all {
				if r > after && len(out) < limit {
					out = append(out, r)
				}
			}
			return out, nil
		}
	})
	reader := e.token("alice", "ml/*:read")
	var page api.Repos
	e.get("/api/v1/repos", reader, &page)
	if strings.Join(page.Repos, " ") != "ml/a ml/b ml/c" || page.NextCursor != "" {
		t.Fatalf("repos of an ml/* reader: %+v", page)
	}
	e.get("/api/v1/repos?limit=2", reader, &page)
	if strings.Join(page.Repos, " ") != "ml/a ml/b" || page.NextCursor != "ml/b" {
		t.Fatalf("first page: %+v", page)
	}
	e.get("/api/v1/repos?limit=2&cursor=ml/b", reader, &page)
	if strings.Join(page.Repos, " ") != "ml/c" || page.NextCursor != "" {
		t.Fatalf("second page: %+v", page)
	}
	e.get("/api/v1/repos", e.token("bob", "nothing/*:read"), &page)
	if len(page.Repos) != 0 {
		t.Fatalf("a token that reads nothing sees %v", page.Repos)
	}
}

func TestCreateRepo(t *testing.T) {
	repos := map[string]bool{}
	e := newEnvWith(t, func(c *api.Config) {
		c.RepoExists = func(_ context.Context, r string) (bool, error) { return repos[r], nil }
		c.CreateRepo = func(_ context.Context, r string) (bool, error) {
			created := !repos[r]
			repos[r] = true
			return created, nil
		}
		c.DeleteRepo = func(_ context.Context, r string) (bool, error) {
			existed := repos[r]
			delete(repos, r)
			return existed, nil
		}
	})
	admin := e.token("ops", "ml/*:admin")
	writer := e.token("ci", "ml/*:write")
	resp, b := e.do(http.MethodGet, "/api/v1/repos/ml/new", writer, "")
	wantError(t, resp, b, http.StatusNotFound, "repo_not_found")
	resp, b = e.do(http.MethodPut, "/api/v1/repos/ml/new", writer, "")
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
	resp, b = e.do(http.MethodPut, "/api/v1/repos/other/new", admin, "")
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
	resp, b = e.do(http.MethodPut, "/api/v1/repos/ml/BAD", admin, "")
	wantError(t, resp, b, http.StatusBadRequest, "invalid_repo")
	if len(repos) != 0 {
		t.Fatalf("refused requests created %v", repos)
	}
	for _, want := range []int{http.StatusCreated, http.StatusOK} {
		resp, b = e.do(http.MethodPut, "/api/v1/repos/ml/new", admin, "")
		if resp.StatusCode != want {
			t.Errorf("PUT /api/v1/repos/ml/new: %d %s, want %d", resp.StatusCode, b, want)
		}
	}
	var r api.Repo
	e.get("/api/v1/repos/ml/new", writer, &r)
	if r.Name != "ml/new" {
		t.Errorf("GET /api/v1/repos/ml/new: %+v", r)
	}

	resp, b = e.do(http.MethodDelete, "/api/v1/repos/ml/new", writer, "")
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
	resp, b = e.do(http.MethodDelete, "/api/v1/repos/ml/new", admin, "")
	if resp.StatusCode != http.StatusNoContent || repos["ml/new"] {
		t.Fatalf("DELETE /api/v1/repos/ml/new: %d %s, repos %v", resp.StatusCode, b, repos)
	}
	resp, b = e.do(http.MethodDelete, "/api/v1/repos/ml/new", admin, "")
	wantError(t, resp, b, http.StatusNotFound, "repo_not_found")
}

// TestStats: GET /api/v1/stats shows the repositories the token can read,
// and the store's totals to an admin of everything only.
func TestStats(t *testing.T) {
	repos := []string{"ml/a", "other/x"}
	e := newEnvWith(t, func(c *api.Config) {
		c.Repos = func(_ context.Context, after string, limit int) ([]string, error) {
			var out []string
			for _, r := range repos {
				if r > after && len(out) < limit {
					out = append(out, r)
				}
			}
			return out, nil
		}
		c.ReposUsage = func(_ context.Context, rs []string) ([]store.RepoUsage, error) {
			var out []store.RepoUsage
			for _, r := range rs {
				out = append(out, store.RepoUsage{Repo: r, Blobs: 1, LogicalBytes: int64(len(r))})
			}
			return out, nil
		}
		c.Usage = func(context.Context) (store.Usage, error) { return store.Usage{Blobs: 2, LogicalBytes: 11}, nil }
	})
	var st api.Stats
	e.get("/api/v1/stats", e.token("alice", "ml/*:read"), &st)
	if st.Total != nil || len(st.Repos) != 1 || st.Repos[0].Repo != "ml/a" {
		t.Fatalf("stats of an ml/* reader: %+v", st)
	}
	e.get("/api/v1/stats", e.token("root", "*:admin"), &st)
	if st.Total == nil || st.Total.Blobs != 2 || len(st.Repos) != 2 {
		t.Fatalf("stats of an admin: %+v", st)
	}
	resp, b := e.do(http.MethodGet, "/api/v1/stats", "", "")
	wantError(t, resp, b, http.StatusUnauthorized, "unauthorized")
}
