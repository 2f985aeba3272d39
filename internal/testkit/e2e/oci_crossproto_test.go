package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestLFSPushOCIFetch: a file pushed with git-lfs to ml/x is blob
// sha256:<oid> of OCI repository ml/x, for oras and for plain HEAD and GET
// with the same token.
func TestLFSPushOCIFetch(t *testing.T) {
	requireTools(t, "oras")
	s := startServer(t)
	const repo = "ml/x"
	tok := s.createToken(t, "lena", repo+":write")
	g := newGit(t)
	work := g.initRepo(g.origin(), s.lfsURL("lena", tok, repo))
	oid, size := commitModel(t, g, work)
	g.run(work, "push", "-q", "origin", "main")

	e := newOCIEnv(t)
	dir := t.TempDir()
	e.run(dir, "oras", "blob", "fetch", "--plain-http", "-u", "lena", "-p", tok, "--output", "f", s.ref(repo, "@sha256:"+oid))
	if got := sha256File(t, filepath.Join(dir, "f")); got != oid {
		t.Errorf("oras blob fetch %s@sha256:%s: content hashes to %s", repo, oid, got)
	}

	path := "/v2/" + repo + "/blobs/sha256:" + oid
	head := s.ociDo(t, tok, http.MethodHead, path, nil, nil)
	if head.status != http.StatusOK || head.header.Get("Content-Length") != strconv.FormatInt(size, 10) ||
		head.header.Get("Docker-Content-Digest") != "sha256:"+oid {
		t.Errorf("HEAD %s: status %d, Content-Length %q, Docker-Content-Digest %q; want 200, %d, sha256:%s",
			path, head.status, head.header.Get("Content-Length"), head.header.Get("Docker-Content-Digest"), size, oid)
	}
	get := s.ociDo(t, tok, http.MethodGet, path, nil, nil)
	if get.status != http.StatusOK || sha256Hex(get.body) != oid {
		t.Errorf("GET %s: status %d, %d bytes hashing to %s; want 200 and the file", path, get.status, len(get.body), sha256Hex(get.body))
	}
	// Not in another repository, even with a token that could read it.
	other := s.ociDo(t, s.admin, http.MethodHead, "/v2/ml/other/blobs/sha256:"+oid, nil, nil)
	if other.status != http.StatusNotFound {
		t.Errorf("HEAD of the blob in ml/other, where it was never pushed: status %d, want 404", other.status)
	}
}

// TestOrasPushLFSFetch: a file pushed with oras to ml/y downloads through
// the Git LFS API of ml/y, by the batch API and by git lfs pull of a commit
// whose pointer names it.
func TestOrasPushLFSFetch(t *testing.T) {
	requireTools(t, "oras")
	s := startServer(t)
	const repo = "ml/y"
	tok := s.createToken(t, "otto", repo+":write")
	e := newOCIEnv(t)
	src := t.TempDir()
	const size = 4<<20 + 3
	oid := writeRandom(t, filepath.Join(src, "model.onnx"), size)
	e.run(src, "oras", "push", "--plain-http", "-u", "otto", "-p", tok, s.ref(repo, ":v1"), "model.onnx:"+mtONNX)

	if got, n := s.downloadSHA256(t, tok, repo, oid, size); got != oid || n != size {
		t.Errorf("LFS download of %s from %s: %d bytes hashing to %s, want %d bytes %s", oid, repo, n, got, size, oid)
	}

	g := newGit(t)
	work := g.initRepo(g.origin(), s.lfsURL("otto", tok, repo))
	g.run(work, "lfs", "track", "*.onnx")
	pointer := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid, size)
	writeBytes(t, filepath.Join(work, "model.onnx"), []byte(pointer))
	g.run(work, "add", ".")
	g.run(work, "commit", "-q", "-m", "pin the model pushed with oras")
	g.run(work, "lfs", "pull")
	if got := sha256File(t, filepath.Join(work, "model.onnx")); got != oid {
		t.Errorf("model.onnx after git lfs pull: sha256 %s, want %s", got, oid)
	}
}

// TestOCITokenForOtherRepo: a token scoped to ml/a reaches neither ml/b's
// OCI blob nor its LFS object, whether it is sent as Basic credentials,
// exchanged in the token flow, or used by oras and git-lfs; a token for
// ml/b reaches both.
func TestOCITokenForOtherRepo(t *testing.T) {
	requireTools(t, "oras")
	s := startServer(t)
	tokenA := s.createToken(t, "ann", "ml/a:write")
	e := newOCIEnv(t)
	src := t.TempDir()
	const size = 1 << 20
	oid := writeRandom(t, filepath.Join(src, "model.onnx"), size)
	e.run(src, "oras", "push", "--plain-http", "-u", "admin", "-p", s.admin, s.ref("ml/b", ":v1"), "model.onnx:"+mtONNX)
	path := "/v2/ml/b/blobs/sha256:" + oid

	t.Run("anonymous", func(t *testing.T) {
		r := s.ociDo(t, "", http.MethodGet, path, nil, nil)
		assertOCIError(t, "GET "+path+" without credentials", r, http.StatusUnauthorized, "UNAUTHORIZED")
		c := challenge(r.header.Get("WWW-Authenticate"))
		if c == nil || c["realm"] == "" || c["scope"] != "repository:ml/b:pull" {
			t.Errorf("GET %s without credentials: WWW-Authenticate %q, want a Bearer challenge with a realm and scope=\"repository:ml/b:pull\"",
				path, r.header.Get("WWW-Authenticate"))
		}
	})

	t.Run("basic", func(t *testing.T) {
		assertRefused(t, "GET "+path+" with a token for ml/a", s.ociDo(t, tokenA, http.MethodGet, path, nil, nil))
		// A HEAD answer has no body to check.
		if r := s.ociDo(t, tokenA, http.MethodHead, path, nil, nil); r.status != http.StatusUnauthorized && r.status != http.StatusForbidden {
			t.Errorf("HEAD %s with a token for ml/a: status %d, want 401 or 403", path, r.status)
		}
	})

	t.Run("token flow", func(t *testing.T) {
		status, bearer := s.registryToken(t, "ann", tokenA, "repository:ml/b:pull")
		if status != http.StatusOK {
			if status != http.StatusUnauthorized && status != http.StatusForbidden {
				t.Errorf("token endpoint, scope repository:ml/b:pull, token for ml/a: status %d, want 200 (a token without that access), 401 or 403", status)
			}
			return
		}
		assertRefused(t, "GET "+path+" with a registry token asked for by a token for ml/a", s.bearerGet(t, bearer, path))
	})

	t.Run("oras", func(t *testing.T) {
		dir := t.TempDir()
		out, err := e.try(dir, "oras", "blob", "fetch", "--plain-http", "-u", "ann", "-p", tokenA, "--output", "f", s.ref("ml/b", "@sha256:"+oid))
		if err == nil {
			t.Errorf("oras blob fetch from ml/b with a token for ml/a succeeded:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(dir, "f")); err == nil && sha256File(t, filepath.Join(dir, "f")) == oid {
			t.Errorf("oras blob fetch from ml/b with a token for ml/a wrote the blob")
		}
	})

	t.Run("lfs", func(t *testing.T) {
		if code, _ := s.batch(t, tokenA, "ml/b", "download", lfsObject{Oid: oid, Size: size}); code != http.StatusForbidden {
			t.Errorf("LFS batch download from ml/b with a token for ml/a: status %d, want 403", code)
		}
		g := newGit(t)
		work := g.initRepo(g.origin(), s.lfsURL("ann", tokenA, "ml/b"))
		g.run(work, "lfs", "track", "*.onnx")
		writeBytes(t, filepath.Join(work, "model.onnx"), fmt.Appendf(nil, "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid, size))
		g.run(work, "add", ".")
		g.run(work, "commit", "-q", "-m", "pointer")
		if out, err := g.try(work, curlVerbose, "lfs", "pull"); err == nil || !sawStatus(out, http.StatusForbidden) {
			t.Errorf("git lfs pull from ml/b with a token for ml/a: err %v, want a failure after 403:\n%s", err, out)
		}
		if !isPointer(t, filepath.Join(work, "model.onnx")) {
			t.Errorf("model.onnx holds content after a refused pull")
		}
	})

	// A token for ml/b reads through both, as Basic credentials and in the
	// token flow: the refusals were the scope.
	tokenB := s.createToken(t, "bob", "ml/b:read")
	if r := s.ociDo(t, tokenB, http.MethodGet, path, nil, nil); r.status != http.StatusOK || sha256Hex(r.body) != oid {
		t.Errorf("GET %s with a token for ml/b: status %d, want 200 and the blob", path, r.status)
	}
	status, bearer := s.registryToken(t, "bob", tokenB, "repository:ml/b:pull")
	if status != http.StatusOK {
		t.Fatalf("token endpoint, scope repository:ml/b:pull, token for ml/b: status %d, want 200", status)
	}
	if r := s.bearerGet(t, bearer, path); r.status != http.StatusOK || sha256Hex(r.body) != oid {
		t.Errorf("GET %s with the registry token issued for ml/b: status %d, want 200 and the blob", path, r.status)
	}
	if got, _ := s.downloadSHA256(t, tokenB, "ml/b", oid, size); got != oid {
		t.Errorf("LFS download from ml/b with a token for ml/b: sha256 %s, want %s", got, oid)
	}
}

// assertRefused checks that r is 401 UNAUTHORIZED or 403 DENIED, with the
// spec's error body, and carries none of the blob.
func assertRefused(t *testing.T, what string, r rawResponse) {
	t.Helper()
	switch r.status {
	case http.StatusUnauthorized:
		assertOCIError(t, what, r, http.StatusUnauthorized, "UNAUTHORIZED")
	case http.StatusForbidden:
		assertOCIError(t, what, r, http.StatusForbidden, "DENIED")
	default:
		t.Errorf("%s: status %d, want 401 or 403", what, r.status)
	}
}
