package lfsserver

import (
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestGitLFSServerAPICompliance runs the Git LFS project's server API
// compliance checker against the server over the fake store.
func TestGitLFSServerAPICompliance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	runCompliance(t, e)
	if n := e.store.count(); n != 50 {
		t.Fatalf("the checker uploaded %d objects, want 50", n)
	}
}

// runCompliance runs git-lfs t/git-lfs-test-server-api against e: it
// uploads 50 objects with the real client code, then checks batch downloads
// and uploads of present, missing and mixed objects, and the upload edge
// cases (invalid oids and sizes, zero size).
func runCompliance(t *testing.T, e *env) {
	t.Helper()
	needTools(t, "git", "git-lfs-test-server-api")
	cmd := exec.Command("git-lfs-test-server-api", "--url", e.credentialURL(testRepo))
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir(), "HOME="+t.TempDir(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "All tests passed") {
		t.Fatalf("compliance checker failed (%v):\n%s", err, out)
	}
	if n := strings.Count(string(out), " OK\n"); n != 7 {
		t.Fatalf("%d tests passed, want 7:\n%s", n, out)
	}
}

// credentialURL is the LFS endpoint of repo with alice's write token in it.
func (e *env) credentialURL(repo string) string {
	e.t.Helper()
	u, err := url.Parse(e.lfsURL(repo))
	if err != nil {
		e.t.Fatal(err)
	}
	u.User = url.UserPassword("alice", tokWriter)
	return u.String()
}

// needTools skips the test unless the named programs are on PATH; with
// BALLAST_E2E=1 (as make test sets) a missing program fails it instead.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("BALLAST_E2E") == "1" {
				t.Fatalf("BALLAST_E2E=1 but %v", err)
			}
			t.Skipf("%v (make test installs the Git LFS tools)", err)
		}
	}
}
