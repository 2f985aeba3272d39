package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/httpapi/api"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/testkit/gittest"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/memory"
)

// apiServer serves the provenance API over real parts and returns its URL
// and a function issuing tokens. It clears BALLAST_URL and BALLAST_TOKEN.
// testStore is the store of the latest apiServer.
var testStore *store.Store

func apiServer(t *testing.T) (string, func(user, scope string) string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	t.Setenv("BALLAST_URL", "")
	t.Setenv("BALLAST_TOKEN", "")
	ctx := context.Background()
	d, err := db.OpenSQLite(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	tokens := auth.NewTokens(d)
	pulls := pulllog.New(d, pulllog.Options{})
	t.Cleanup(func() { pulls.Close() })
	log := slog.New(slog.DiscardHandler)
	st, err := store.New(memory.New(), d, store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testStore = st
	srv := httptest.NewServer(api.New(api.Config{
		Index: gitindex.New(d, filepath.Join(t.TempDir(), "git"), log),
		Pulls: pulls, Auth: auth.NewAuthenticator(tokens, false), Logger: log,
		Repos: st.Repos, RepoExists: st.RepoExists, CreateRepo: st.CreateRepo, Usage: st.Usage, ReposUsage: st.ReposUsage,
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(user, scope string) string {
		sc, err := auth.ParseScope(scope)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := tokens.Create(ctx, user, []auth.Scope{sc}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
}

// modelRepo is a Git repository with LFS pointers, built with git: v1.0.0
// holds cls.onnx and tok.onnx; v1.1.0 changes cls.onnx, adds extra.onnx
// and removes tok.onnx.
type modelRepo struct {
	*gittest.Repo
	dir           string
	v1, v2, extra string // digests
	tag1, tag2    string // commit shas
}

func newModelRepo(t *testing.T) *modelRepo {
	t.Helper()
	g := gittest.New(t, "*.onnx filter=lfs diff=lfs merge=lfs -text\n")
	r := &modelRepo{Repo: g, dir: g.Dir}
	r.v1 = g.Pointer("models/cls.onnx", "classifier v1")
	g.Pointer("models/tok.onnx", strings.Repeat("t", 3000))
	r.tag1 = g.Commit("Classifier v1", "v1.0.0")
	r.v2 = g.Pointer("models/cls.onnx", strings.Repeat("v2", 2<<20))
	r.extra = g.Pointer("models/extra.onnx", "extra head")
	if err := os.Remove(filepath.Join(g.Dir, "models", "tok.onnx")); err != nil {
		t.Fatal(err)
	}
	r.tag2 = g.Commit("Classifier v2", "v1.1.0")
	return r
}

// runStdin is run with standard input.
func runStdin(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("ballast %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestRepoCommands(t *testing.T) {
	url, token := apiServer(t)
	r := newModelRepo(t)
	t.Setenv("BALLAST_URL", url)
	t.Setenv("BALLAST_TOKEN", token("root", "*:admin"))

	out := mustRun(t, "repo", "connect", "ml/x", "--git", r.dir, "--tag-pattern", "v*", "--path-filter", "models/**")
	if !strings.Contains(out, "Connected ml/x to "+r.dir) || !strings.Contains(out, "ballast repo sync ml/x") {
		t.Fatalf("connect printed:\n%s", out)
	}
	out = mustRun(t, "repo", "sync", "ml/x", "--token", token("ci", "ml/x:write"))
	if !strings.Contains(out, "Synced ml/x: 2 new commits, 3 refs changed, 0 problems") ||
		!containsLine(out, "tag", "v1.1.0", "-", r.tag2[:12]) {
		t.Fatalf("sync printed:\n%s", out)
	}
	out = mustRun(t, "repo", "show", "ml/x", "--token", token("alice", "ml/x:read"))
	for _, want := range []string{"Git:         " + r.dir, "Tag pattern: v*", "Path filter: models/**"} {
		if !strings.Contains(out, want) {
			t.Fatalf("show lacks %q:\n%s", want, out)
		}
	}
	if !containsLine(out, "branch", "main", r.tag2[:12]) || !containsLine(out, "tag", "v1.0.0", r.tag1[:12]) || strings.Contains(out, "Last sync:   never") {
		t.Fatalf("show printed:\n%s", out)
	}
	var st api.GitStatus
	if err := json.Unmarshal([]byte(mustRun(t, "repo", "show", "ml/x", "--json")), &st); err != nil || len(st.Refs) != 3 || st.LastSync == nil {
		t.Fatalf("show --json: %+v %v", st, err)
	}

	out = mustRun(t, "repo", "disconnect", "ml/x")
	if !strings.Contains(out, "Disconnected ml/x") {
		t.Fatalf("disconnect printed %q", out)
	}
	if _, err := run(t, "repo", "show", "ml/x"); err == nil || !strings.Contains(err.Error(), "not connected") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("show after disconnect: %v", err)
	}
}

func TestRepoConnectPasswordStdin(t *testing.T) {
	url, token := apiServer(t)
	conn := []string{"--server", url, "--token", token("ops", "ml/*:admin")}
	args := append([]string{"repo", "connect", "ml/x", "--git", "https://git.example.com/ml/x.git", "--username", "bot", "--password-stdin", "--no-check"}, conn...)
	if _, err := runStdin(t, "s3cret-token\n", args...); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, append([]string{"repo", "show", "ml/x"}, conn...)...)
	if !strings.Contains(out, "bot (password set: true)") || strings.Contains(out, "s3cret") {
		t.Fatalf("show printed:\n%s", out)
	}
	if _, err := runStdin(t, "", args...); err == nil || !strings.Contains(err.Error(), "standard input is empty") {
		t.Fatalf("empty stdin: %v", err)
	}
	_, err := run(t, append([]string{"repo", "connect", "ml/y", "--git", "/srv/other.git"}, conn...)...)
	if err == nil || !strings.Contains(err.Error(), "*:admin") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a local path with a repository admin token: %v", err)
	}
}

func TestProvenanceCommands(t *testing.T) {
	url, token := apiServer(t)
	r := newModelRepo(t)
	t.Setenv("BALLAST_URL", url)
	t.Setenv("BALLAST_TOKEN", token("root", "*:admin"))
	mustRun(t, "repo", "connect", "ml/x", "--git", r.dir)
	mustRun(t, "repo", "sync", "ml/x")
	t.Setenv("BALLAST_TOKEN", token("alice", "ml/x:read"))

	out := mustRun(t, "log", "ml/x", "models/cls.onnx")
	if !strings.Contains(out, "COMMIT") || !containsLine(out, r.tag2[:12], "Ada Lovelace", shortDigest(r.v2), "4.0 MiB", "Classifier v2") ||
		!containsLine(out, r.tag1[:12], shortDigest(r.v1), "13 B", "Classifier v1") {
		t.Fatalf("log printed:\n%s", out)
	}
	out = mustRun(t, "log", "ml/x", "models/tok.onnx")
	if !containsLine(out, r.tag2[:12], "(removed)") || !containsLine(out, r.tag1[:12], "2.9 KiB") {
		t.Fatalf("log of a removed file printed:\n%s", out)
	}
	var h api.History
	if err := json.Unmarshal([]byte(mustRun(t, "log", "ml/x", "models/cls.onnx", "--json")), &h); err != nil || len(h.Versions) != 2 || h.Versions[0].Digest != r.v2 {
		t.Fatalf("log --json: %+v %v", h, err)
	}

	for _, d := range []string{r.v1, strings.TrimPrefix(r.v1, "sha256:"), strings.ToUpper(strings.TrimPrefix(r.v1, "sha256:"))} {
		out = mustRun(t, "which", d)
		if !containsLine(out, "ml/x", "models/cls.onnx", r.tag1[:12], "Ada Lovelace", "v1.0.0") {
			t.Fatalf("which %s printed:\n%s", d, out)
		}
	}
	var info api.DigestInfo
	if err := json.Unmarshal([]byte(mustRun(t, "which", r.v2, "--json")), &info); err != nil || len(info.Occurrences) != 1 || info.Occurrences[0].Commit.SHA != r.tag2 {
		t.Fatalf("which --json: %+v %v", info, err)
	}

	out = mustRun(t, "diff", "ml/x", "v1.0.0", "v1.1.0")
	if !strings.Contains(out, "1 added, 1 removed, 1 changed") ||
		!containsLine(out, "changed", "models/cls.onnx", "13 B", "4.0 MiB", shortDigest(r.v1), shortDigest(r.v2)) ||
		!containsLine(out, "added", "models/extra.onnx", "10 B", shortDigest(r.extra)) ||
		!containsLine(out, "removed", "models/tok.onnx", "2.9 KiB") {
		t.Fatalf("diff printed:\n%s", out)
	}
	var d api.Diff
	if err := json.Unmarshal([]byte(mustRun(t, "diff", "ml/x", "v1.0.0", "v1.1.0", "--json")), &d); err != nil || len(d.Changes) != 3 || d.To.Commit != r.tag2 {
		t.Fatalf("diff --json: %+v %v", d, err)
	}
}

func TestProvenanceCommandErrors(t *testing.T) {
	url, token := apiServer(t)
	r := newModelRepo(t)
	admin := token("root", "*:admin")
	conn := []string{"--server", url, "--token", admin}
	mustRun(t, append([]string{"repo", "connect", "ml/x", "--git", r.dir}, conn...)...)
	mustRun(t, append([]string{"repo", "sync", "ml/x"}, conn...)...)
	other := []string{"--server", url, "--token", token("bob", "ml/y:read")}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"bad digest", append([]string{"which", "sha256:abc"}, conn...), []string{"64 hex"}},
		{"unknown digest", append([]string{"which", strings.Repeat("0", 64)}, conn...), []string{"404"}},
		{"digest of another repository", append([]string{"which", r.v1}, other...), []string{"404"}},
		{"unknown ref", append([]string{"diff", "ml/x", "v1.0.0", "v9"}, conn...), []string{"unknown ref", "v9", "404"}},
		{"unknown path", append([]string{"log", "ml/x", "models/none.onnx"}, conn...), []string{"models/none.onnx", "404"}},
		{"not connected", append([]string{"log", "ml/nope", "a.onnx"}, conn...), []string{"not connected", "404"}},
		{"no access", append([]string{"diff", "ml/x", "v1.0.0", "v1.1.0"}, other...), []string{"403"}},
		{"bad repository name", append([]string{"log", "ML/X", "a.onnx"}, conn...), []string{"invalid repository name"}},
		{"sync without a server", []string{"repo", "sync", "ml/x", "--token", admin}, []string{"BALLAST_URL"}},
	}
	for _, tt := range tests {
		_, err := run(t, tt.args...)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
