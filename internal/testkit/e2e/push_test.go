package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPushCloneFetch pushes files of very different sizes with git-lfs,
// clones them elsewhere, and checks every byte came back.
func TestPushCloneFetch(t *testing.T) {
	s := startServer(t)
	const repo = "ml/push"
	writer := s.createToken(t, "alice", repo+":write")
	reader := s.createToken(t, "rita", repo+":read")
	g := newGit(t)
	origin := g.origin()
	work := g.initRepo(origin, s.lfsURL("alice", writer, repo))

	// path → sha256 of the content at HEAD
	files := map[string]string{
		"big.bin":        writeRandom(t, filepath.Join(work, "big.bin"), 120<<20),
		"empty.bin":      writeBytes(t, filepath.Join(work, "empty.bin"), nil),
		"tiny.bin":       writeBytes(t, filepath.Join(work, "tiny.bin"), []byte("abc")),
		"models/mid.bin": writeRandom(t, filepath.Join(work, "models", "mid.bin"), 5<<20+12345),
	}
	g.run(work, "lfs", "track", "*.bin")
	g.run(work, "add", ".")
	g.run(work, "commit", "-q", "-m", "add models")
	oldTiny := files["tiny.bin"]
	// A second commit, so one object is reachable only from history.
	files["tiny.bin"] = writeBytes(t, filepath.Join(work, "tiny.bin"), []byte("abcd"))
	g.run(work, "commit", "-q", "-am", "update tiny")

	tracked := g.run(work, "lfs", "ls-files", "--name-only")
	for _, name := range []string{"big.bin", "tiny.bin", "models/mid.bin"} {
		if !strings.Contains(tracked, name) {
			t.Fatalf("git lfs ls-files does not list %s; the test set-up did not make it an LFS file:\n%s", name, tracked)
		}
	}

	g.run(work, "push", "-q", "origin", "main")

	// Every object, the old tiny.bin included, is now in the repository.
	objects := map[string]int64{oldTiny: 3, files["tiny.bin"]: 4, files["big.bin"]: 120 << 20, files["models/mid.bin"]: 5<<20 + 12345}
	for oid, size := range objects {
		o := s.batchOne(t, reader, repo, "download", oid, size)
		if _, ok := o.Actions["download"]; !ok {
			t.Errorf("after git push, batch download of %s (%d bytes): %+v, want a download action", oid, size, o)
		}
	}

	t.Run("clone and pull", func(t *testing.T) {
		g := g.withT(t)
		clone := g.cloneRepo(origin, s.lfsURL("rita", reader, repo))
		g.run(clone, "lfs", "pull")
		for name, want := range files {
			if got := sha256File(t, filepath.Join(clone, name)); got != want {
				t.Errorf("%s after git lfs pull: sha256 %s, want %s", name, got, want)
			}
		}
	})

	t.Run("fetch all and fsck", func(t *testing.T) {
		g := g.withT(t)
		clone := g.cloneRepo(origin, s.lfsURL("rita", reader, repo))
		g.run(clone, "lfs", "fetch", "--all")
		for oid := range objects {
			if got := sha256File(t, lfsObjectPath(clone, oid)); got != oid {
				t.Errorf("after git lfs fetch --all: object %s hashes to %s", oid, got)
			}
		}
		g.run(clone, "lfs", "fsck")
	})
}
