package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// A byte flipped in a pack on disk: git lfs pull fails and writes no wrong
// file; the server quarantines the chunk, so the next git lfs push of the
// object sends its bytes again (before, the batch said it was present and
// the object stayed unreadable), and then the pull succeeds.
func TestCorruptPackIsHealedByAPush(t *testing.T) {
	s := startServer(t)
	const repo = "ml/heal"
	tok := s.createToken(t, "alice", repo+":write")
	g := newGit(t)
	origin := g.origin()
	lfs := s.lfsURL("alice", tok, repo)
	work := g.initRepo(origin, lfs)
	g.run(work, "lfs", "track", "*.bin")
	oid := writeRandom(t, filepath.Join(work, "model.bin"), 3<<20) // chunked inline: under 8 MiB
	g.run(work, "add", ".gitattributes", "model.bin")
	g.run(work, "commit", "-m", "model")
	g.run(work, "push", "origin", "HEAD:main")

	packs, err := filepath.Glob(filepath.Join(s.dataDir, "objects", "packs", "*", "*.pack"))
	if err != nil || len(packs) != 1 {
		t.Fatalf("packs %v (%v), want one", packs, err)
	}
	raw, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x55
	if err := os.WriteFile(packs[0], raw, 0o600); err != nil {
		t.Fatal(err)
	}

	clone := g.cloneRepo(origin, lfs)
	if out, err := g.try(clone, nil, "lfs", "pull"); err == nil {
		t.Fatalf("git lfs pull of a corrupt object succeeded:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(clone, "model.bin")); err == nil && sha256File(t, filepath.Join(clone, "model.bin")) == oid {
		t.Fatal("the corrupt object was written whole")
	}
	if _, err := os.Stat(lfsObjectPath(clone, oid)); err == nil {
		t.Fatal("git-lfs stored a corrupt object")
	}

	g.run(work, "lfs", "push", "--all", "origin")
	g.run(clone, "lfs", "pull")
	if got := sha256File(t, filepath.Join(clone, "model.bin")); got != oid {
		t.Fatalf("after the repairing push, model.bin hashes to %s, want %s", got, oid)
	}
}
