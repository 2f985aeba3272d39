package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickstartFromREADME runs the README's Quickstart as written: its
// commands are taken from the README text, in order, and run in one shell.
// Only what a test cannot do as a person would is replaced, each
// replacement matched against the README's own line, so that a change to
// the Quickstart that this test no longer understands fails it:
//
//   - the server is this test's binary on a free port, not `make run` on
//     8080 (the address is replaced everywhere);
//   - `make build tools` is skipped: the binary and the pinned tools are on
//     PATH already;
//   - `<the admin token>` is the admin token, and alice's token, which a
//     person copies from the output, is kept in $ALICE;
//   - the credentials the first push asks for, and oras login's password,
//     are given from $ALICE;
//   - ~/models/model.onnx exists, and /tmp/models.git is under the test's
//     temporary directory.
func TestQuickstartFromREADME(t *testing.T) {
	requireTools(t, "git", "git-lfs", "oras", "bash")
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := quickstartCommands(t, string(readme))
	s := startServer(t, "--create-repos=admin") // the default, as make run has it
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	work := filepath.Join(tmp, "work")
	for _, d := range []string{filepath.Join(home, "models"), filepath.Join(work, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(ballastBin, filepath.Join(work, "bin", "ballast")); err != nil {
		t.Fatal(err)
	}
	oid := writeRandom(t, filepath.Join(home, "models", "model.onnx"), 3<<20)

	replace := []struct{ old, new string }{
		{"make run", "true # the test's server runs at $ADDR"},
		{"export BALLAST_ADMIN_TOKEN=blst_$(openssl rand -hex 32)", "true # the test's server has its admin token"},
		{"make build tools && ", ""},
		{"<the admin token>", "$ADMIN"},
		{"ballast token create --user alice --scope 'ml/*:write'", "ALICE=$(ballast token create --user alice --scope 'ml/*:write' --quiet)"},
		{"git config --global credential.http://127.0.0.1:8080.helper store",
			"git config --global credential.http://127.0.0.1:8080.helper store && printf 'http://alice:%s@127.0.0.1:8080\\n' \"$ALICE\" > ~/.git-credentials"},
		{"oras login 127.0.0.1:8080 --plain-http -u alice      # the token as password", "oras login 127.0.0.1:8080 --plain-http -u alice --password-stdin <<<\"$ALICE\""},
	}
	script := "set -euo pipefail\ncd " + work + "\n"
	used := make([]bool, len(replace))
	for _, l := range lines {
		for i, r := range replace {
			if strings.Contains(l, r.old) {
				l = strings.Replace(l, r.old, r.new, 1)
				used[i] = true
			}
		}
		l = strings.ReplaceAll(l, "/tmp/models.git", filepath.Join(tmp, "models.git"))
		l = strings.ReplaceAll(l, "127.0.0.1:8080", s.addr)
		script += l + "\n"
	}
	for i, u := range used {
		if !u {
			t.Fatalf("the Quickstart no longer has %q: update this test with it", replace[i].old)
		}
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(environ("HOME=", "BALLAST_", "GIT_", "XDG_CONFIG_HOME=", "DOCKER_CONFIG="),
		"HOME="+home, "ADMIN="+s.admin, "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=New User", "GIT_AUTHOR_EMAIL=new@example.com",
		"GIT_COMMITTER_NAME=New User", "GIT_COMMITTER_EMAIL=new@example.com")
	cmd.Env = append(cmd.Env, "PATH="+filepath.Join(work, "bin")+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Quickstart failed: %v\nscript:\n%s\noutput:\n%s", err, script, out)
	}
	repo := filepath.Join(work, "cat-classifier")
	for _, f := range []string{filepath.Join(repo, "copy", "model.onnx"), filepath.Join(repo, "model.onnx")} {
		if got := sha256File(t, f); got != oid {
			t.Errorf("%s hashes to %s, want the pushed model's %s", f, got, oid)
		}
	}
}

// quickstartCommands returns the command lines of the README's Quickstart:
// the lines indented as code inside its numbered steps, in order.
func quickstartCommands(t *testing.T, readme string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n## Quickstart\n")
	if !ok {
		t.Fatal("the README has no Quickstart section")
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	var out []string
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "       ") && strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimSpace(l))
		}
	}
	if len(out) < 10 {
		t.Fatalf("found %d Quickstart commands; the README's layout changed", len(out))
	}
	return out
}
