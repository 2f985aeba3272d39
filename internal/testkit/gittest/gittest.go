// Package gittest builds small Git repositories holding Git LFS pointer
// files, for tests. It drives the git binary, isolated from the machine's
// configuration, with fixed identities and commit times one minute apart,
// so the same steps always give the same commits.
package gittest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Start is the time of the first commit: 2026-01-01T00:01:00Z.
const Start = 1767225600

// Repo is a working repository on branch main.
type Repo struct {
	t     testing.TB
	Dir   string
	clock int64
}

// New creates a repository in a temp dir. If attributes is not empty it
// is written to .gitattributes (e.g. "*.onnx filter=lfs diff=lfs merge=lfs -text\n").
// The test is skipped when git is not installed.
func New(t testing.TB, attributes string) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &Repo{t: t, Dir: t.TempDir(), clock: Start}
	r.Git("init", "-q", "-b", "main")
	if attributes != "" {
		r.Write(".gitattributes", attributes)
	}
	return r
}

// Git runs git in the repository and returns its trimmed output; a failure
// fails the test.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	date := fmt.Sprintf("@%d +0000", r.clock)
	cmd.Env = append(os.Environ(), "HOME="+r.Dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=CI", "GIT_COMMITTER_EMAIL=ci@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Tick moves the clock one minute on; Commit does it itself, call it
// before other commands that create commits (git revert, git merge).
func (r *Repo) Tick() { r.Advance(time.Minute) }

// Advance moves the clock on by d.
func (r *Repo) Advance(d time.Duration) { r.clock += int64(d / time.Second) }

// Write writes content to path (slash-separated, relative), creating
// directories.
func (r *Repo) Write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Pointer writes at path the pointer file git-lfs would write for content
// and returns the object's digest, "sha256:<oid>".
func (r *Repo) Pointer(path, content string) string {
	text, oid := PointerFile([]byte(content))
	r.Write(path, text)
	return "sha256:" + oid
}

// PointerFile returns the Git LFS pointer file for content and its oid.
func PointerFile(content []byte) (text, oid string) {
	sum := sha256.Sum256(content)
	oid = hex.EncodeToString(sum[:])
	return fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid, len(content)), oid
}

// Commit stages everything, commits it (also when nothing changed), tags
// the commit with tags, and returns its sha.
func (r *Repo) Commit(msg string, tags ...string) string {
	r.t.Helper()
	r.Tick()
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	for _, tag := range tags {
		r.Git("tag", tag)
	}
	return r.Git("rev-parse", "HEAD")
}
