package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// curlVerbose makes git-lfs print the HTTP exchanges, so a test can check
// which status the server answered.
var curlVerbose = []string{"GIT_CURL_VERBOSE=1"}

// sawStatus reports whether git-lfs verbose output shows a response with
// the status code.
func sawStatus(out string, code int) bool {
	return regexp.MustCompile(fmt.Sprintf(`(?m)^< HTTP/[0-9.]+ %d `, code)).MatchString(out)
}

// isPointer reports whether the file at path is a Git LFS pointer rather
// than content.
func isPointer(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.HasPrefix(string(b), "version https://git-lfs.github.com/spec/v1\n")
}

// commitModel writes a 1 MiB model.bin tracked by LFS in dir, commits it and
// returns its oid and size.
func commitModel(t *testing.T, g *gitEnv, dir string) (string, int64) {
	t.Helper()
	const size = 1 << 20
	oid := writeRandom(t, filepath.Join(dir, "model.bin"), size)
	g.run(dir, "lfs", "track", "*.bin")
	g.run(dir, "add", ".")
	g.run(dir, "commit", "-q", "-m", "add model")
	return oid, size
}

// TestReadOnlyTokenCannotPush: a read token's push fails and leaves the
// server unchanged; the same commit then pushes with a write token.
func TestReadOnlyTokenCannotPush(t *testing.T) {
	s := startServer(t)
	const repo = "ml/x"
	ro := s.createToken(t, "reader", repo+":read")
	s.seed(t, repo)
	g := newGit(t)
	origin := g.origin()
	work := g.initRepo(origin, s.lfsURL("reader", ro, repo))
	oid, size := commitModel(t, g, work)

	out, err := g.try(work, curlVerbose, "push", "origin", "main")
	if err == nil {
		t.Fatalf("push with a read-only token succeeded:\n%s", out)
	}
	if !sawStatus(out, http.StatusForbidden) {
		t.Errorf("push with a read-only token: want the server to answer 403, git-lfs output:\n%s", out)
	}
	if _, err := g.try(origin, nil, "rev-parse", "--verify", "-q", "refs/heads/main"); err == nil {
		t.Errorf("origin has a main branch after a refused push")
	}
	s.assertMissing(t, s.admin, repo, oid, size)

	// The same push with a write token works: the refusal was the level.
	rw := s.createToken(t, "writer", repo+":write")
	g.run(work, "config", "lfs.url", s.lfsURL("writer", rw, repo))
	g.run(work, "push", "-q", "origin", "main")
	if got, n := s.downloadSHA256(t, ro, repo, oid, size); got != oid || n != size {
		t.Errorf("after the write token's push: downloaded %d bytes hashing to %s, want %d bytes %s", n, got, size, oid)
	}
}

// TestTokenForOtherRepoCannotRead: a token scoped to ml/a cannot pull from
// ml/b.
func TestTokenForOtherRepoCannotRead(t *testing.T) {
	s := startServer(t)
	writerB := s.createToken(t, "bea", "ml/b:write")
	tokenA := s.createToken(t, "ann", "ml/a:write")
	g := newGit(t)
	origin := g.origin()
	work := g.initRepo(origin, s.lfsURL("bea", writerB, "ml/b"))
	oid, size := commitModel(t, g, work)
	g.run(work, "push", "-q", "origin", "main")

	clone := g.cloneRepo(origin, s.lfsURL("ann", tokenA, "ml/b"))
	out, err := g.try(clone, curlVerbose, "lfs", "pull")
	if err == nil {
		t.Fatalf("git lfs pull from ml/b with a token for ml/a succeeded:\n%s", out)
	}
	if !sawStatus(out, http.StatusForbidden) {
		t.Errorf("git lfs pull from ml/b with a token for ml/a: want the server to answer 403, git-lfs output:\n%s", out)
	}
	if !isPointer(t, filepath.Join(clone, "model.bin")) {
		t.Errorf("model.bin holds content after a refused pull")
	}
	if code, _ := s.batch(t, tokenA, "ml/b", "download", lfsObject{Oid: oid, Size: size}); code != http.StatusForbidden {
		t.Errorf("batch download from ml/b with a token for ml/a: status %d, want 403", code)
	}

	// A token for ml/b reads it: the refusal was the repository.
	readerB := s.createToken(t, "bob", "ml/b:read")
	g.run(clone, "config", "lfs.url", s.lfsURL("bob", readerB, "ml/b"))
	g.run(clone, "lfs", "pull")
	if got := sha256File(t, filepath.Join(clone, "model.bin")); got != oid {
		t.Errorf("model.bin after pulling with a ml/b token: sha256 %s, want %s", got, oid)
	}
}

// TestRevokedTokenRefused: a token works, is revoked with ballast token
// revoke, and is refused from then on.
func TestRevokedTokenRefused(t *testing.T) {
	s := startServer(t)
	const repo = "ml/x"
	tok := s.createToken(t, "dave", repo+":write")
	oid := strings.Repeat("ab", 32)
	if code, _ := s.batch(t, tok, repo, "upload", lfsObject{Oid: oid, Size: 1}); code != http.StatusOK {
		t.Fatalf("batch with a fresh token: status %d, want 200", code)
	}

	s.revokeToken(t, "dave")

	if code, _ := s.batch(t, tok, repo, "upload", lfsObject{Oid: oid, Size: 1}); code != http.StatusUnauthorized {
		t.Errorf("batch with a revoked token: status %d, want 401", code)
	}
	g := newGit(t)
	work := g.initRepo(g.origin(), s.lfsURL("dave", tok, repo))
	commitModel(t, g, work)
	out, err := g.try(work, curlVerbose, "push", "origin", "main")
	if err == nil {
		t.Fatalf("push with a revoked token succeeded:\n%s", out)
	}
	if !sawStatus(out, http.StatusUnauthorized) {
		t.Errorf("push with a revoked token: want the server to answer 401, git-lfs output:\n%s", out)
	}
}

// TestNoCredentialsRefused: without credentials the server asks for them
// (401 with LFS-Authenticate) and git-lfs cannot push.
func TestNoCredentialsRefused(t *testing.T) {
	s := startServer(t)
	const repo = "ml/x"
	oid := strings.Repeat("cd", 32)
	for _, op := range []string{"download", "upload"} {
		req := fmt.Sprintf(`{"operation":%q,"objects":[{"oid":%q,"size":1}]}`, op, oid)
		resp, body := s.batchRaw(t, "", repo, []byte(req))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("batch %s without credentials: status %d, want 401", op, resp.StatusCode)
			continue
		}
		if resp.Header.Get("LFS-Authenticate") == "" {
			t.Errorf("batch %s without credentials: 401 without an LFS-Authenticate header", op)
		}
		assertJSONError(t, "batch "+op+" without credentials", resp, body)
	}

	g := newGit(t)
	origin := g.origin()
	work := g.initRepo(origin, s.lfsURL("", "", repo))
	commitModel(t, g, work)
	out, err := g.try(work, curlVerbose, "push", "origin", "main")
	if err == nil {
		t.Fatalf("push without credentials succeeded:\n%s", out)
	}
	if !sawStatus(out, http.StatusUnauthorized) {
		t.Errorf("push without credentials: want the server to answer 401, git-lfs output:\n%s", out)
	}
	if _, err := g.try(origin, nil, "rev-parse", "--verify", "-q", "refs/heads/main"); err == nil {
		t.Errorf("origin has a main branch after a refused push")
	}
}
