package gitindex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/testkit/dbtest"
)

// newIndexer returns an Indexer over a fresh database and mirror directory.
func newIndexer(t *testing.T) *Indexer {
	t.Helper()
	d := dbtest.Open(t)
	return New(d, filepath.Join(t.TempDir(), "git"), slog.New(slog.DiscardHandler))
}

// gitRepo is a working repository built with the git binary. Every commit
// gets a time one minute after the previous one, so order by time is
// order of creation.
type gitRepo struct {
	t     *testing.T
	dir   string
	clock int64
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	g := &gitRepo{t: t, dir: t.TempDir(), clock: 1704067200} // 2024-01-01
	g.git("init", "-q", "-b", "main")
	return g
}

// gitEnv isolates git from the machine's configuration.
func gitEnv(home string) []string {
	return append(os.Environ(), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Charles Babbage", "GIT_COMMITTER_EMAIL=cb@example.com")
}

func (g *gitRepo) git(args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	date := fmt.Sprintf("@%d +0200", g.clock)
	cmd.Env = append(gitEnv(g.dir), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitIn runs git with stdin.
func (g *gitRepo) gitIn(stdin string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	cmd.Env = gitEnv(g.dir)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (g *gitRepo) write(path, content string) {
	g.t.Helper()
	p := filepath.Join(g.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gitRepo) remove(path string) {
	g.t.Helper()
	if err := os.Remove(filepath.Join(g.dir, filepath.FromSlash(path))); err != nil {
		g.t.Fatal(err)
	}
}

// commit commits everything and returns the new commit's sha.
func (g *gitRepo) commit(msg string) string {
	g.t.Helper()
	g.clock += 60
	g.git("add", "-A")
	g.git("commit", "-q", "--allow-empty", "-m", msg)
	return g.git("rev-parse", "HEAD")
}

// do runs a git command that creates a commit (revert, merge) at the next
// minute and returns HEAD.
func (g *gitRepo) do(args ...string) string {
	g.t.Helper()
	g.clock += 60
	g.git(args...)
	return g.git("rev-parse", "HEAD")
}

const lfsAttributes = "*.bin filter=lfs diff=lfs merge=lfs -text\n"

// model returns the pointer file git-lfs would write for content, and the oid.
func model(content string) (pointer, oid string) {
	sum := sha256.Sum256([]byte(content))
	oid = hex.EncodeToString(sum[:])
	return fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid, len(content)), oid
}

// connectAndSync connects repo to g and syncs it once.
func connectAndSync(t *testing.T, x *Indexer, repo string, g *gitRepo) SyncResult {
	t.Helper()
	ctx := context.Background()
	if err := x.Connect(ctx, repo, Source{URL: g.dir}); err != nil {
		t.Fatal(err)
	}
	return mustSync(t, x, repo)
}

func mustSync(t *testing.T, x *Indexer, repo string) SyncResult {
	t.Helper()
	res, err := x.Sync(context.Background(), repo)
	if err != nil {
		t.Fatalf("sync %s: %v", repo, err)
	}
	return res
}

func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}
