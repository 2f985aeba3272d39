package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

// gitEnv runs git and git-lfs under an isolated HOME and configuration:
// nothing of the machine's git setup leaks in, and git never prompts.
type gitEnv struct {
	b   *bench
	env []string
}

// newGit makes a new HOME below dir and installs the git-lfs filters there.
func (b *bench) newGit(dir string) (*gitEnv, error) {
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	g := &gitEnv{b: b, env: append(benchkit.Environ("GIT_", "HOME=", "XDG_CONFIG_HOME="),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
	)}
	for _, args := range [][]string{
		{"config", "--global", "user.name", "Bench"},
		{"config", "--global", "user.email", "bench@example.com"},
		{"config", "--global", "init.defaultBranch", "main"},
		{"lfs", "install", "--skip-repo"},
	} {
		if _, err := g.run(home, args...); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// run runs git in dir and returns its combined output.
func (g *gitEnv) run(dir string, args ...string) (string, error) {
	return g.runEnv(dir, nil, args...)
}

// runEnv is run with extra environment variables (KEY=VALUE).
func (g *gitEnv) runEnv(dir string, env []string, args ...string) (string, error) {
	cmd := g.b.command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), g.env...), env...)
	return output(cmd)
}

// repo creates a bare origin and a working repository below dir whose LFS
// endpoint is lfsURL and whose files matching the patterns are tracked by
// LFS. It returns the working directory and the origin.
func (g *gitEnv) repo(dir, lfsURL string, patterns ...string) (work, origin string, err error) {
	origin = filepath.Join(dir, "origin.git")
	work = filepath.Join(dir, "work")
	steps := [][]string{
		{"init", "-q", "--bare", origin},
		{"init", "-q", work},
		{"-C", work, "remote", "add", "origin", origin},
		{"-C", work, "config", "lfs.url", lfsURL},
		{"-C", work, "lfs", "install", "--local"},
		append([]string{"-C", work, "lfs", "track"}, patterns...),
	}
	for _, args := range steps {
		if _, err := g.run(dir, args...); err != nil {
			return "", "", err
		}
	}
	return work, origin, nil
}

// commit stages everything in work and commits it.
func (g *gitEnv) commit(work, msg string) error {
	if _, err := g.run(work, "add", "-A"); err != nil {
		return err
	}
	_, err := g.run(work, "commit", "-q", "-m", msg)
	return err
}

// clone clones origin into dir without LFS content and points it at
// lfsURL.
func (g *gitEnv) clone(origin, dir, lfsURL string) error {
	if _, err := g.runEnv(filepath.Dir(dir), []string{"GIT_LFS_SKIP_SMUDGE=1"}, "clone", "-q", origin, dir); err != nil {
		return err
	}
	if _, err := g.run(dir, "config", "lfs.url", lfsURL); err != nil {
		return err
	}
	_, err := g.run(dir, "lfs", "install", "--local")
	return err
}

// lfsObject is where git-lfs keeps the object oid inside a repository.
func lfsObject(repo, oid string) string {
	return filepath.Join(repo, ".git", "lfs", "objects", oid[:2], oid[2:4], oid)
}

// checkSize fails unless the file at path has n bytes.
func checkSize(path string, n int64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() != n {
		return fmt.Errorf("%s has %d bytes, want %d", path, fi.Size(), n)
	}
	return nil
}
