package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestPushToUnknownRepository: with the default policy a writer's push to a
// repository nobody created (a typo) fails with a 404 that names the
// repository and how to create it, through git-lfs and oras alike, and
// leaves nothing behind; once an admin creates it, the same pushes work.
// An admin's push creates its repository.
func TestPushToUnknownRepository(t *testing.T) {
	requireTools(t, "oras")
	s := startServer(t, "--create-repos=admin")
	const repo = "ml/cat-clasifier" // sic
	writer := s.createToken(t, "wendy", "ml/*:write")

	g := newGit(t)
	origin := g.origin()
	work := g.initRepo(origin, s.lfsURL("wendy", writer, repo))
	oid, size := commitModel(t, g, work)
	out, err := g.try(work, nil, "push", "origin", "main")
	if err == nil {
		t.Fatalf("a writer's git push to an uncreated repository succeeded:\n%s", out)
	}
	for _, want := range []string{"repository does not exist", repo, "ballast repo create " + repo} {
		if !strings.Contains(out, want) {
			t.Errorf("git push output does not say %q:\n%s", want, out)
		}
	}
	e := newOCIEnv(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "model.onnx"), 1<<20)
	e.run(src, "oras", "login", "--plain-http", "-u", "wendy", "-p", writer, s.addr)
	out, err = e.try(src, "oras", "push", "--plain-http", s.ref(repo, ":v1"), "model.onnx")
	if err == nil || !strings.Contains(out, "name unknown") || !strings.Contains(out, "ballast repo create") {
		t.Errorf("a writer's oras push to an uncreated repository: %v, want NAME_UNKNOWN (\"name unknown\") saying how to create it:\n%s", err, out)
	}
	if repos, _ := s.ballast(t, "repo", "list", "--server", s.url, "--token", s.admin); strings.Contains(repos, repo) {
		t.Errorf("the refused pushes created %s:\n%s", repo, repos)
	}

	if out, err := s.ballast(t, "repo", "create", repo, "--server", s.url, "--token", writer); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a writer ran ballast repo create: %v %s, want a 403", err, out)
	}
	if out, err := s.ballast(t, "repo", "create", repo, "--server", s.url, "--token", s.admin); err != nil || !strings.Contains(out, "Created "+repo) {
		t.Fatalf("ballast repo create: %v %s", err, out)
	}
	if out, _ := s.ballast(t, "repo", "create", repo, "--server", s.url, "--token", s.admin); !strings.Contains(out, "already exists") {
		t.Errorf("ballast repo create of an existing repository: %q, want it to say so", out)
	}
	g.run(work, "push", "-q", "origin", "main")
	if got, n := s.downloadSHA256(t, writer, repo, oid, size); got != oid || n != size {
		t.Errorf("after ballast repo create: downloaded %d bytes hashing to %s, want %d bytes %s", n, got, size, oid)
	}
	e.run(src, "oras", "push", "--plain-http", s.ref(repo, ":v1"), "model.onnx")

	opsAdmin := s.createToken(t, "ops", "ml/*:admin")
	// Through the registry token flow too: the token oras obtains for an
	// admin's push may create the repository.
	admin := newOCIEnv(t)
	admin.run(src, "oras", "login", "--plain-http", "-u", "ops", "-p", opsAdmin, s.addr)
	admin.run(src, "oras", "push", "--plain-http", s.ref("ml/new-by-oras", ":v1"), "model.onnx")
	resp, b := s.do(t, opsAdmin, http.MethodPost, s.url+"/ml/new.git/info/lfs/objects/batch",
		map[string]string{"Content-Type": "application/vnd.git-lfs+json", "Accept": "application/vnd.git-lfs+json"},
		strings.NewReader(`{"operation":"upload","objects":[{"oid":"`+oid+`","size":1}]}`))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("an admin's upload batch to a new repository: %d %s, want 200 (its push creates it)", resp.StatusCode, b)
	}
}
