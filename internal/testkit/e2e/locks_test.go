package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

type lfsLock struct {
	ID    string `json:"id"`
	Path  string `json:"path"`
	Owner struct {
		Name string `json:"name"`
	} `json:"owner"`
}

// locks lists the locks of the repository in dir with git lfs locks --json.
func (g *gitEnv) locks(dir string) []lfsLock {
	g.t.Helper()
	out := g.run(dir, "lfs", "locks", "--json")
	var locks []lfsLock
	if err := json.Unmarshal([]byte(out), &locks); err != nil {
		g.t.Fatalf("git lfs locks --json: %v\n%s", err, out)
	}
	return locks
}

// TestLocks drives the locking API with git lfs: a file locked by alice
// cannot be pushed by bob until alice unlocks it, and bob cannot break the
// lock without admin rights.
func TestLocks(t *testing.T) {
	s := startServer(t)
	const repo = "ml/locks"
	alice := s.createToken(t, "alice", repo+":write")
	bob := s.createToken(t, "bob", repo+":write")
	g := newGit(t)
	origin := g.origin()
	// Verify locks before every push to this server (see lfs.<url>.locksverify
	// in git-lfs-config(5)).
	g.run(origin, "config", "--global", "lfs."+s.url+"/.locksverify", "true")

	aliceDir := g.initRepo(origin, s.lfsURL("alice", alice, repo))
	writeRandom(t, filepath.Join(aliceDir, "model.bin"), 1<<20)
	g.run(aliceDir, "lfs", "track", "*.bin")
	g.run(aliceDir, "add", ".")
	g.run(aliceDir, "commit", "-q", "-m", "add model")
	g.run(aliceDir, "push", "-q", "origin", "main")

	bobDir := g.cloneRepo(origin, s.lfsURL("bob", bob, repo))
	g.run(bobDir, "lfs", "pull")

	g.run(aliceDir, "lfs", "lock", "model.bin")
	locks := g.locks(bobDir)
	if len(locks) != 1 || locks[0].Path != "model.bin" || locks[0].Owner.Name != "alice" {
		t.Fatalf("git lfs locks after alice locked model.bin: %+v, want one lock on model.bin owned by alice", locks)
	}

	if out, err := g.try(bobDir, nil, "lfs", "lock", "model.bin"); err == nil {
		t.Errorf("bob locked model.bin although alice holds the lock:\n%s", out)
	}

	// bob changes the locked file; his push must be refused.
	writeRandom(t, filepath.Join(bobDir, "model.bin"), 1<<20)
	g.run(bobDir, "commit", "-q", "-am", "bob's model")
	aliceHead := strings.TrimSpace(g.run(origin, "rev-parse", "main"))
	out, err := g.try(bobDir, nil, "push", "origin", "main")
	if err == nil {
		t.Fatalf("bob pushed model.bin while alice holds its lock:\n%s", out)
	}
	if !strings.Contains(out, "model.bin") || !strings.Contains(out, "locked") {
		t.Errorf("bob's refused push does not name the locked file:\n%s", out)
	}
	if head := strings.TrimSpace(g.run(origin, "rev-parse", "main")); head != aliceHead {
		t.Fatalf("origin main moved to %s by a refused push (was %s)", head, aliceHead)
	}

	// Breaking someone else's lock needs admin rights.
	if out, err := g.try(bobDir, nil, "lfs", "unlock", "--force", "model.bin"); err == nil {
		t.Errorf("bob (write, not admin) force-unlocked alice's lock:\n%s", out)
	}
	if locks := g.locks(aliceDir); len(locks) != 1 || locks[0].Owner.Name != "alice" {
		t.Fatalf("after bob's refused force-unlock: locks %+v, want alice's lock still there", locks)
	}

	g.run(aliceDir, "lfs", "unlock", "model.bin")
	if locks := g.locks(bobDir); len(locks) != 0 {
		t.Fatalf("after alice unlocked: locks %+v, want none", locks)
	}

	g.run(bobDir, "push", "-q", "origin", "main")
	bobHead := strings.TrimSpace(g.run(bobDir, "rev-parse", "HEAD"))
	if head := strings.TrimSpace(g.run(origin, "rev-parse", "main")); head != bobHead {
		t.Fatalf("after bob's push: origin main is %s, want bob's %s", head, bobHead)
	}
	want := sha256File(t, filepath.Join(bobDir, "model.bin"))
	g.run(aliceDir, "pull", "-q", "origin", "main")
	if got := sha256File(t, filepath.Join(aliceDir, "model.bin")); got != want {
		t.Errorf("alice's model.bin after pulling bob's change: sha256 %s, want %s", got, want)
	}
}

// TestLockAdminForceUnlock checks the other side of --force: an admin may
// break another user's lock.
func TestLockAdminForceUnlock(t *testing.T) {
	s := startServer(t)
	const repo = "ml/locks"
	alice := s.createToken(t, "alice", repo+":write")
	root := s.createToken(t, "root", repo+":admin")
	g := newGit(t)
	origin := g.origin()
	aliceDir := g.initRepo(origin, s.lfsURL("alice", alice, repo))
	writeBytes(t, filepath.Join(aliceDir, "model.bin"), []byte("weights"))
	g.run(aliceDir, "lfs", "track", "*.bin")
	g.run(aliceDir, "add", ".")
	g.run(aliceDir, "commit", "-q", "-m", "add model")
	g.run(aliceDir, "push", "-q", "origin", "main")
	g.run(aliceDir, "lfs", "lock", "model.bin")

	rootDir := g.cloneRepo(origin, s.lfsURL("root", root, repo))
	if out, err := g.try(rootDir, nil, "lfs", "unlock", "model.bin"); err == nil {
		t.Errorf("root unlocked alice's lock without --force:\n%s", out)
	}
	g.run(rootDir, "lfs", "unlock", "--force", "model.bin")
	if locks := g.locks(aliceDir); len(locks) != 0 {
		t.Fatalf("after an admin's force-unlock: locks %+v, want none", locks)
	}
}
