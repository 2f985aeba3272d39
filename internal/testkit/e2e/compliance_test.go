package e2e

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// complianceTests are the tests git-lfs-test-server-api v3.8.1 runs
// (t/git-lfs-test-server-api/test{download,upload}.go).
var complianceTests = []string{
	"Test download: all existing",
	"Test download: all missing",
	"Test download: mixed",
	"Test upload: all missing",
	"Test upload: all present",
	"Test upload: mixed",
	"Test upload: edge cases",
}

// TestComplianceChecker runs the git-lfs project's server API compliance
// checker against an empty repository. In its automatic mode it uploads 50
// objects, then checks batch answers for present, missing, mixed and
// invalid objects.
func TestComplianceChecker(t *testing.T) {
	requireTools(t, "git-lfs-test-server-api")
	s := startServer(t)
	g := newGit(t)
	apiURL := s.lfsURL("admin", s.admin, "ml/compliance")

	cmd := exec.Command("git-lfs-test-server-api", "--url", apiURL)
	cmd.Dir = t.TempDir()
	// It creates its scratch repository under TMPDIR and uses git's
	// configuration, so both are isolated.
	cmd.Env = slices.Concat(g.env, []string{"TMPDIR=" + t.TempDir()})
	b, err := cmd.CombinedOutput()
	out := string(b)
	// Progress lines end in \r before the result is printed on the same line.
	lines := strings.Split(strings.ReplaceAll(out, "\r", "\n"), "\n")
	for _, name := range complianceTests {
		ok := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + ` +OK$`)
		passed := false
		for _, l := range lines {
			passed = passed || ok.MatchString(l)
		}
		if !passed {
			t.Errorf("compliance test %q did not pass", name)
		}
	}
	if err != nil || !strings.Contains(out, "All tests passed") || t.Failed() {
		t.Fatalf("git-lfs-test-server-api --url %s: %v\n%s", s.lfsURL("admin", "TOKEN", "ml/compliance"), err, out)
	}
	t.Logf("git-lfs-test-server-api:\n%s", strings.Join(lines, "\n"))
	if strings.Count(out, " OK\n") != len(complianceTests) {
		t.Errorf("git-lfs-test-server-api reported %d passing tests, want %d:\n%s", strings.Count(out, " OK\n"), len(complianceTests), out)
	}
}
