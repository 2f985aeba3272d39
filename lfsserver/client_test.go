package lfsserver

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGitLFSClient pushes, locks and clones with the real git and git-lfs
// binaries over the fake store.
func TestGitLFSClient(t *testing.T) {
	t.Parallel()
	runGitLFSClient(t, newEnv(t))
}

// runGitLFSClient pushes a model with git-lfs, locks and unlocks it, and
// clones it back.
func runGitLFSClient(t *testing.T, e *env) {
	t.Helper()
	needTools(t, "git", "git-lfs")
	home, root := t.TempDir(), t.TempDir()
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
			"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	lfsURL := e.credentialURL(testRepo)
	model := bytes.Repeat([]byte("weights!"), 64<<10) // 512 KiB
	remote, work, clone := filepath.Join(root, "remote.git"), filepath.Join(root, "work"), filepath.Join(root, "clone")

	git(root, "lfs", "install")
	git(root, "init", "-q", "--bare", "-b", "main", remote)
	git(root, "init", "-q", "-b", "main", work)
	git(work, "config", "lfs.url", lfsURL)
	git(work, "lfs", "track", "*.bin")
	if err := os.WriteFile(filepath.Join(work, "model.bin"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "model")
	git(work, "remote", "add", "origin", remote)
	git(work, "push", "-q", "origin", "main")

	git(work, "lfs", "lock", "model.bin")
	if out := git(work, "lfs", "locks"); !strings.Contains(out, "model.bin") || !strings.Contains(out, "alice") {
		t.Fatalf("git lfs locks:\n%s", out)
	}
	git(work, "lfs", "unlock", "model.bin")
	if out := git(work, "lfs", "locks"); strings.Contains(out, "model.bin") {
		t.Fatalf("lock survived unlock:\n%s", out)
	}

	git(root, "-c", "lfs.url="+lfsURL, "clone", "-q", remote, clone)
	got, err := os.ReadFile(filepath.Join(clone, "model.bin"))
	if err != nil || !bytes.Equal(got, model) {
		t.Fatalf("cloned model.bin: %d bytes, %v; want the %d pushed", len(got), err, len(model))
	}
}
