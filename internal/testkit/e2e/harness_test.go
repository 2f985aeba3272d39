package e2e

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// gitLFSVersion is the client version the tests are written against (the
// Makefile pins the same one).
const gitLFSVersion = "3.8.1"

// ballastBin is the binary built by TestMain; buildErr is why it is missing.
var (
	ballastBin string
	buildErr   error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ballast-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	ballastBin = filepath.Join(dir, "ballast")
	buildErr = build(ballastBin)
	stopModes, err := startModes()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := m.Run()
	stopModes()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles ./cmd/ballast to out.
func build(out string) error {
	cmd := exec.Command("go", "build", "-o", out, "github.com/ballastml/ballast/cmd/ballast")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/ballast: %v\n%s", err, b)
	}
	return nil
}

// mandatory reports whether BALLAST_E2E=1 asks for the tests to run.
func mandatory() bool { return os.Getenv("BALLAST_E2E") == "1" }

// requireTools skips the test when one of the named tools is not on PATH,
// unless BALLAST_E2E=1, in which case the test fails. It also checks that
// git-lfs is the pinned version.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := checkTool(name); err != nil {
			if mandatory() {
				t.Fatalf("BALLAST_E2E=1 but %v (make test installs the tools into .tools/bin)", err)
			}
			t.Skipf("skipping end-to-end test: %v (run make test, or set BALLAST_E2E=1 to turn this skip into a failure)", err)
		}
	}
}

var gitLFSCheck = sync.OnceValue(func() error {
	out, err := exec.Command("git-lfs", "version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("git-lfs version: %v: %s", err, out)
	}
	if !strings.HasPrefix(string(out), "git-lfs/"+gitLFSVersion+" ") {
		return fmt.Errorf("git-lfs on PATH is %q, want %s", strings.TrimSpace(string(out)), gitLFSVersion)
	}
	return nil
})

func checkTool(name string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%s not found on PATH", name)
	}
	if name == "git-lfs" {
		return gitLFSCheck()
	}
	return nil
}

// server is one running ballast process.
type server struct {
	t       *testing.T
	addr    string // 127.0.0.1:port
	url     string // http://addr
	admin   string // the admin token, from BALLAST_ADMIN_TOKEN
	dataDir string
	logPath string
	args    []string // extra serve arguments
	env     []string // extra environment (the S3 credentials)

	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has exited
	err    error         // cmd.Wait's result, set before exited is closed
}

// startServer starts ballast serve on a free loopback port with a fresh
// data directory, waits until it is healthy and stops it when the test ends.
// On failure the test prints the server's log.
func startServer(t *testing.T, extraArgs ...string) *server {
	t.Helper()
	requireTools(t, "git", "git-lfs")
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	s := &server{
		t:       t,
		addr:    addr,
		url:     "http://" + addr,
		admin:   "blst_" + strings.ToLower(rand.Text()+rand.Text()),
		dataDir: filepath.Join(dir, "data"),
		logPath: filepath.Join(dir, "ballast.log"),
	}
	s.args, s.env = modeArgs(t)
	s.args = append(s.args, extraArgs...)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			b, _ := os.ReadFile(s.logPath)
			t.Logf("ballast log:\n%s", b)
		}
	})
	s.start()
	return s
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (s *server) start() {
	s.t.Helper()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== e2e: starting ballast at %s\n", time.Now().Format(time.RFC3339Nano))

	args := []string{"serve", "--addr", s.addr, "--data", s.dataDir, "--public-url", s.url}
	if !slices.ContainsFunc(s.args, func(a string) bool { return strings.HasPrefix(a, "--create-repos") }) {
		// Most tests push with write tokens to repositories nobody created;
		// the tests of the policy itself pass their own.
		args = append(args, "--create-repos", "write")
	}
	args = append(args, s.args...)
	cmd := exec.Command(ballastBin, args...)
	cmd.Env = append(append(environ("BALLAST_", "AWS_"), s.env...), "BALLAST_ADMIN_TOKEN="+s.admin)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting ballast: %v", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	s.waitHealthy()
}

// waitHealthy polls GET /healthz until it answers 200.
func (s *server) waitHealthy() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.exited:
			s.t.Fatalf("ballast exited during start-up: %v", s.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("ballast not healthy after 30s: last GET /healthz: status %v, error %v", status(resp), err)
		}
	}
}

func status(resp *http.Response) any {
	if resp == nil {
		return "none"
	}
	return resp.StatusCode
}

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and expects a graceful, successful exit.
func (s *server) stop() {
	s.t.Helper()
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.err != nil {
			s.t.Errorf("ballast did not shut down cleanly on SIGTERM: %v", s.err)
		}
	case <-time.After(45 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("ballast still running 45s after SIGTERM; killed it")
	}
}

// kill9 kills the server with SIGKILL, as a crash would.
func (s *server) kill9() {
	s.t.Helper()
	if !s.running() {
		s.t.Fatal("kill9: ballast is not running")
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	var ee *exec.ExitError
	if !errors.As(s.err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		s.t.Fatalf("kill9: ballast exited with %v, not by SIGKILL (it ended before the kill)", s.err)
	}
}

// restart stops the server if it runs and starts it again on the same
// address and data directory.
func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

// environ returns os.Environ without the variables that start with one of
// the prefixes.
func environ(dropPrefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range dropPrefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// ballast runs a ballast client command against s with the admin token and
// returns its standard output.
func (s *server) ballast(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(ballastBin, args...)
	cmd.Env = environ("BALLAST_")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("ballast %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

// createToken issues a token to user with the scopes (PATTERN:LEVEL) through
// `ballast token create` and returns its secret.
func (s *server) createToken(t *testing.T, user string, scopes ...string) string {
	t.Helper()
	return s.createTokenArgs(t, user, nil, scopes...)
}

// createTokenArgs is createToken with extra arguments, such as --expires.
func (s *server) createTokenArgs(t *testing.T, user string, extra []string, scopes ...string) string {
	t.Helper()
	args := []string{"token", "create", "--server", s.url, "--token", s.admin, "--user", user, "-q"}
	for _, sc := range scopes {
		args = append(args, "--scope", sc)
	}
	out, err := s.ballast(t, append(args, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out)
	if secret == "" || strings.ContainsAny(secret, " \n") {
		t.Fatalf("ballast token create -q printed %q, want only the secret", out)
	}
	return secret
}

// revokeToken revokes the token of user (the test gives each user one
// token): it finds the token's id with `ballast token list --json`, runs
// `ballast token revoke ID` and checks the list then shows it revoked.
func (s *server) revokeToken(t *testing.T, user string) {
	t.Helper()
	tok := s.tokenOf(t, user)
	if tok.RevokedAt != nil {
		t.Fatalf("token %s of %s is revoked before ballast token revoke", tok.ID, user)
	}
	if _, err := s.ballast(t, "token", "revoke", "--server", s.url, "--token", s.admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	if tok := s.tokenOf(t, user); tok.RevokedAt == nil {
		t.Fatalf("ballast token list: token %s of %s not revoked after ballast token revoke", tok.ID, user)
	}
}

type tokenInfo struct {
	ID        string  `json:"id"`
	User      string  `json:"user"`
	RevokedAt *string `json:"revoked_at"`
}

// tokenOf returns the one token of user in `ballast token list --json`.
func (s *server) tokenOf(t *testing.T, user string) tokenInfo {
	t.Helper()
	out, err := s.ballast(t, "token", "list", "--json", "--server", s.url, "--token", s.admin)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Tokens []tokenInfo `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("ballast token list --json: %v\n%s", err, out)
	}
	var found []tokenInfo
	for _, tok := range list.Tokens {
		if tok.User == user {
			found = append(found, tok)
		}
	}
	if len(found) != 1 {
		t.Fatalf("ballast token list --json: %d tokens of %s, want 1:\n%s", len(found), user, out)
	}
	return found[0]
}
