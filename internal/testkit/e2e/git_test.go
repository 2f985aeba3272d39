package e2e

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitEnv runs git with an isolated HOME and configuration: no system or
// user config of the machine leaks in, and git never prompts.
type gitEnv struct {
	t   *testing.T
	env []string
}

func newGit(t *testing.T) *gitEnv {
	t.Helper()
	home := t.TempDir()
	g := &gitEnv{t: t, env: append(environ("GIT_", "HOME=", "XDG_CONFIG_HOME="),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
	)}
	g.run(home, "config", "--global", "user.name", "E2E Test")
	g.run(home, "config", "--global", "user.email", "e2e@example.com")
	g.run(home, "config", "--global", "init.defaultBranch", "main")
	g.run(home, "lfs", "install", "--skip-repo")
	return g
}

// withT returns g reporting to t, for use in the subtest t.
func (g *gitEnv) withT(t *testing.T) *gitEnv {
	c := *g
	c.t = t
	return &c
}

// try runs git in dir with extra environment variables (KEY=VALUE) and
// returns its combined output.
func (g *gitEnv) try(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), g.env...), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// run runs git in dir and fails the test if it fails.
func (g *gitEnv) run(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.try(dir, nil, args...)
	if err != nil {
		g.t.Fatalf("git %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// origin creates a bare repository on local disk: Git data goes there,
// LFS objects go to ballast.
func (g *gitEnv) origin() string {
	g.t.Helper()
	dir := filepath.Join(g.t.TempDir(), "origin.git")
	g.run(g.t.TempDir(), "init", "--bare", dir)
	return dir
}

// initRepo creates a working repository whose origin is origin and whose
// LFS endpoint is lfsURL.
func (g *gitEnv) initRepo(origin, lfsURL string) string {
	g.t.Helper()
	dir := filepath.Join(g.t.TempDir(), "work")
	g.run(g.t.TempDir(), "init", dir)
	g.run(dir, "remote", "add", "origin", origin)
	g.run(dir, "config", "lfs.url", lfsURL)
	g.run(dir, "lfs", "install", "--local")
	return dir
}

// cloneRepo clones origin without LFS content, points it at lfsURL and
// returns its directory. Pulling the content is left to the caller.
func (g *gitEnv) cloneRepo(origin, lfsURL string) string {
	g.t.Helper()
	dir := filepath.Join(g.t.TempDir(), "clone")
	if out, err := g.try(g.t.TempDir(), []string{"GIT_LFS_SKIP_SMUDGE=1"}, "clone", origin, dir); err != nil {
		g.t.Fatalf("git clone %s: %v\n%s", origin, err, out)
	}
	g.run(dir, "config", "lfs.url", lfsURL)
	g.run(dir, "lfs", "install", "--local")
	return dir
}

// lfsURL is the LFS endpoint of repo on s with user and token in the URL.
func (s *server) lfsURL(user, token, repo string) string {
	u := url.URL{Scheme: "http", Host: s.addr, Path: "/" + repo + ".git/info/lfs"}
	if token != "" {
		u.User = url.UserPassword(user, token)
	}
	return u.String()
}

// writeRandom writes size pseudo-random bytes (incompressible, no repeated
// chunks) to path and returns their sha256 in hex.
func writeRandom(t *testing.T, path string, size int64) string {
	t.Helper()
	var seed [32]byte
	crand.Read(seed[:])
	return writeFrom(t, path, io.LimitReader(rand.NewChaCha8(seed), size))
}

// writeBytes writes b to path and returns its sha256 in hex.
func writeBytes(t *testing.T, path string, b []byte) string {
	t.Helper()
	return writeFrom(t, path, strings.NewReader(string(b)))
}

func writeFrom(t *testing.T, path string, r io.Reader) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sha256File returns the sha256 of the file at path in hex.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// lfsObjectPath is where git-lfs keeps the content of oid in a repository.
func lfsObjectPath(repo, oid string) string {
	return filepath.Join(repo, ".git", "lfs", "objects", oid[:2], oid[2:4], oid)
}
