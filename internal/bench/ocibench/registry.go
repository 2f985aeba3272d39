package main

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

// registry is one running server under test.
type registry struct {
	name     string
	addr     string // 127.0.0.1:port
	user     string // credentials for oras; empty: no auth
	password string
	env      []string // oras's environment: a credential store of its own
	log      string   // the server's output

	null *benchkit.NullServer // the in-process null server, or nil

	// settle, if set, runs after each push and before the pull: ballast
	// compacts what it staged, so that the pull reads the compacted blob
	// and no compaction runs during another registry's turn.
	settle func(ctx context.Context) error

	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has exited
	err    error         // cmd.Wait's result, set before exited is closed
}

// httpClient talks to the servers directly, never through a proxy.
var httpClient = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}

// orasArgs is an oras command against r: plain HTTP, and r's credentials.
func (r *registry) orasArgs(cmd string, args ...string) []string {
	a := []string{cmd, "--plain-http"}
	if r.user != "" {
		a = append(a, "-u", r.user, "-p", r.password)
	}
	return append(a, args...)
}

// startBallast builds ./cmd/ballast, starts it on a free loopback port and
// creates the token oras pushes and pulls with.
func startBallast(ctx context.Context, root, tmp string) (*registry, error) {
	bin := filepath.Join(tmp, "ballast")
	build := command(ctx, "go", "build", "-o", bin, "./cmd/ballast")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/ballast: %w\n%s", err, out)
	}
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	url := "http://" + addr
	admin := "blst_" + strings.ToLower(crand.Text()+crand.Text())
	cmd := command(ctx, bin, "serve", "--addr", addr, "--data", filepath.Join(tmp, "ballast-data"), "--public-url", url)
	cmd.Env = append(benchkit.Environ("BALLAST_"), "BALLAST_ADMIN_TOKEN="+admin)
	r, err := start(ctx, "ballast", addr, cmd, tmp)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*registry, error) {
		r.stop()
		return nil, err
	}
	if err := r.waitFor(url+"/healthz", ""); err != nil {
		return fail(err)
	}
	if err := r.waitFor(url+"/v2/", admin); err != nil {
		return fail(fmt.Errorf("ballast does not serve the OCI API yet: %w", err))
	}
	create := command(ctx, bin, "token", "create", "--server", url, "--token", admin,
		"--user", "bench", "--scope", "bench/*:write", "-q")
	out, err := create.Output()
	if err != nil {
		return fail(fmt.Errorf("ballast token create: %w", err))
	}
	r.user, r.password = "bench", strings.TrimSpace(string(out))
	r.settle = func(ctx context.Context) error {
		gc := command(ctx, bin, "gc", "--compact", "--server", url, "--token", admin, "--grace", "24h")
		if out, err := gc.CombinedOutput(); err != nil {
			return fmt.Errorf("ballast gc: %w\n%s", err, out)
		}
		return nil
	}
	return r, nil
}

// distributionConfig is a minimal configuration of the distribution
// registry: filesystem storage, loopback only, no auth, quiet logs.
const distributionConfig = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`

// startDistribution starts `registry serve` on a free loopback port.
func startDistribution(ctx context.Context, bin, tmp string) (*registry, error) {
	dir := filepath.Join(tmp, "distribution")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, distributionConfig, filepath.Join(dir, "data"), addr), 0o644); err != nil {
		return nil, err
	}
	cmd := command(ctx, bin, "serve", config)
	// No telemetry exporter: it would try to send traces.
	cmd.Env = append(benchkit.Environ("OTEL_"), "OTEL_SDK_DISABLED=true", "OTEL_TRACES_EXPORTER=none")
	r, err := start(ctx, "distribution", addr, cmd, tmp)
	if err != nil {
		return nil, err
	}
	if err := r.waitFor("http://"+addr+"/v2/", ""); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

// startNull starts the null server (benchkit.NullServer) in this process:
// the least work a registry can do, so oras against it shows the client's
// own limit.
func startNull(tmp string) (*registry, error) {
	s, err := benchkit.StartNullServer()
	if err != nil {
		return nil, err
	}
	return &registry{name: "null server", addr: s.Addr, env: orasEnv(tmp), null: s}, nil
}

// orasEnv is the environment oras runs in: a HOME, and so a credential
// store, of its own below tmp.
func orasEnv(tmp string) []string {
	home := filepath.Join(tmp, "oras-home")
	return append(benchkit.Environ("HOME=", "DOCKER_CONFIG="), "HOME="+home, "DOCKER_CONFIG="+filepath.Join(home, ".docker"))
}

// start starts cmd with its output going to a log file in tmp.
func start(ctx context.Context, name, addr string, cmd *exec.Cmd, tmp string) (*registry, error) {
	r := &registry{name: name, addr: addr, log: filepath.Join(tmp, name+".log"), env: orasEnv(tmp), exited: make(chan struct{})}
	logf, err := os.Create(r.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	r.cmd = cmd
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	return r, nil
}

// waitFor polls GET url, with token as the Basic password if not empty,
// until it answers 200, for up to 30 s.
func (r *registry) waitFor(url, token string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.SetBasicAuth("bench", token)
		}
		resp, err := httpClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-r.exited:
			return fmt.Errorf("%s exited during start-up (%v):\n%s", r.name, r.err, r.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: GET %s: %v after 30 s\n%s", r.name, url, err, r.logTail())
		}
	}
}

// stop asks the server to shut down (SIGTERM) and kills it if it has not
// exited 30 s later; the null server it just closes.
func (r *registry) stop() {
	if r.null != nil {
		r.null.Close()
		return
	}
	select {
	case <-r.exited:
		return
	default:
	}
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.exited
	}
}

// logTail is the end of the server's output.
func (r *registry) logTail() string {
	b, err := os.ReadFile(r.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// command returns a command in a process group of its own, killed with
// everything it started when ctx is done.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = benchkit.Environ()
	return cmd
}

// writeRandom writes size incompressible bytes (ChaCha8 under a fresh
// seed) to path and returns their digest, "sha256:<hex>".
func writeRandom(ctx context.Context, path string, size int64) (string, error) {
	var seed [32]byte
	crand.Read(seed[:])
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	src := rand.NewChaCha8(seed)
	h := sha256.New()
	buf := make([]byte, 4*mib)
	for left := size; left > 0; left -= int64(len(buf)) {
		if err := ctx.Err(); err != nil {
			f.Close()
			return "", err
		}
		n := min(left, int64(len(buf)))
		src.Read(buf[:n])
		h.Write(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return "", err
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), errors.Join(f.Sync(), f.Close())
}
