package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ballast login checks the token, keeps server and token in a file only
// the user can read, and other commands use them; the environment and
// flags still win; logout forgets them.
func TestLogin(t *testing.T) {
	url, _, admin := tokenServer(t)
	t.Setenv("BALLAST_CONFIG_DIR", t.TempDir())
	t.Setenv("BALLAST_URL", "")
	t.Setenv("BALLAST_TOKEN", "")

	if _, err := runStdin(t, "blst_wrong\n", "login", url, "--token-stdin"); err == nil {
		t.Fatal("login with a wrong token succeeded")
	}
	out, err := runStdin(t, admin+"\n", "login", url, "--token-stdin")
	if err != nil || !strings.Contains(out, "logged in to "+url) {
		t.Fatalf("login: %q, %v", out, err)
	}
	p := filepath.Join(os.Getenv("BALLAST_CONFIG_DIR"), "login.json")
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("login file %s: %v, mode %v; want 0600", p, err, fi.Mode().Perm())
	}
	if out, err := run(t, "token", "list"); err != nil || !strings.Contains(out, "*:admin") {
		t.Fatalf("token list with the login file only: %q, %v", out, err)
	}
	// A server named elsewhere does not get the login's token.
	if _, err := run(t, "token", "list", "--server", "http://127.0.0.1:1"); err == nil ||
		!strings.Contains(err.Error(), "no token given") {
		t.Fatalf("another server with the login's token: %v", err)
	}
	t.Setenv("BALLAST_TOKEN", "blst_wrong")
	if _, err := run(t, "token", "list"); err == nil {
		t.Fatal("BALLAST_TOKEN did not take precedence over the login file")
	}
	t.Setenv("BALLAST_TOKEN", "")
	if _, err := run(t, "logout"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("the login file is still there after logout: %v", err)
	}
}
