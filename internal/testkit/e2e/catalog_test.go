package e2e

import (
	"strings"
	"testing"
)

// oras repo ls lists, through the registry token flow, exactly the
// repositories its token can read.
func TestCatalogWithOras(t *testing.T) {
	requireTools(t, "oras")
	s := startServer(t)
	for _, repo := range []string{"ml/a", "ml/b", "other/c"} {
		s.pushBlob(t, s.admin, repo, []byte("model of "+repo))
	}
	tok := s.createToken(t, "alice", "ml/*:read")
	o := newOCIEnv(t)
	out := o.run(t.TempDir(), "oras", "repo", "ls", "--plain-http", "-u", "alice", "-p", tok, s.addr)
	if got := strings.Fields(out); strings.Join(got, " ") != "ml/a ml/b" {
		t.Fatalf("oras repo ls with an ml/* token: %q, want ml/a and ml/b only", out)
	}
}
