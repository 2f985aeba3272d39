package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ballastml/ballast/internal/bench/benchkit"
	"github.com/ballastml/ballast/internal/httpapi/adminapi"
)

// httpClient talks to the server directly, never through a proxy, with
// large buffers so it is not the bottleneck.
var httpClient = &http.Client{Transport: &http.Transport{
	Proxy:              nil,
	DisableCompression: true,
	WriteBufferSize:    mib,
	ReadBufferSize:     mib,
}}

// server is one running `ballast serve` with a fresh data directory.
type server struct {
	addr  string // 127.0.0.1:port
	url   string // http://addr
	token string // the admin token
	dir   string // holds the data directory and the log
	data  string // data directory
	log   string // file with the server's output

	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has exited
	err    error         // cmd.Wait's result, set before exited is closed
}

// buildBallast builds ./cmd/ballast once per run.
func (b *bench) buildBallast() (string, error) {
	if b.ballastBin != "" {
		return b.ballastBin, nil
	}
	bin := filepath.Join(b.tmp, "ballast")
	cmd := b.command("go", "build", "-o", bin, "./cmd/ballast")
	cmd.Dir = b.root
	if _, err := output(cmd); err != nil {
		return "", err
	}
	b.ballastBin = bin
	return bin, nil
}

// startServer builds ballast if needed, starts it on a free loopback port
// with a new data directory and an admin token, and waits until GET
// /healthz answers. The caller stops it with b.stopServer.
func (b *bench) startServer() (*server, error) { return b.startServerWith(nil, nil) }

// startServerWith is startServer with more serve arguments and
// environment.
func (b *bench) startServerWith(args, env []string) (*server, error) {
	bin, err := b.buildBallast()
	if err != nil {
		return nil, err
	}
	dir, err := b.dir("server")
	if err != nil {
		return nil, err
	}
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{
		addr:   addr,
		dir:    dir,
		url:    "http://" + addr,
		token:  adminToken(env),
		data:   filepath.Join(dir, "data"),
		log:    filepath.Join(dir, "ballast.log"),
		exited: make(chan struct{}),
	}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	s.cmd = exec.CommandContext(b.ctx, bin, append([]string{"serve", "--addr", addr, "--data", s.data, "--public-url", s.url}, args...)...)
	ownGroup(s.cmd, syscall.SIGTERM)
	s.cmd.WaitDelay = 30 * time.Second
	s.cmd.Env = append(append(benchkit.Environ("BALLAST_"), env...), "BALLAST_ADMIN_TOKEN="+s.token)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting ballast serve: %w", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitHealthy(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// adminToken is the BALLAST_ADMIN_TOKEN of env, so that replicas share
// one, or a new one.
func adminToken(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "BALLAST_ADMIN_TOKEN="); ok {
			return v
		}
	}
	return "blst_" + hex.EncodeToString(randomBytes(32))
}

func randomBytes(n int) []byte {
	p := make([]byte, n)
	rand.Read(p)
	return p
}

// waitHealthy polls GET /healthz until it answers 200, for up to 30 s.
func (s *server) waitHealthy() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := httpClient.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("ballast serve exited during start-up (%v):\n%s", s.err, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ballast serve not healthy after 30 s: GET /healthz: %v\n%s", err, s.logTail())
		}
	}
}

// pid is the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// logTail is the end of the server's output.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	return lastLines(string(b), 20)
}

// stop asks the server to shut down (SIGTERM), kills it if it has not
// exited 30 s later, and reports an exit that was not clean.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return s.err
	default:
	}
	signalGroup(s.cmd, syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.err
	case <-time.After(30 * time.Second):
	}
	signalGroup(s.cmd, syscall.SIGKILL)
	<-s.exited
	return errors.New("ballast serve still running 30 s after SIGTERM; killed it")
}

// stopServer stops s, notes in the report if it did not exit cleanly, and
// removes its data.
func (b *bench) stopServer(s *server) {
	if err := s.stop(); err != nil && b.ctx.Err() == nil {
		b.printf("warning: ballast serve did not exit cleanly: %v", err)
	}
	os.RemoveAll(s.dir)
}

// compact has the server compact its staged uploads now (and run a GC pass
// that deletes nothing recent), waits for it and returns how long it took.
func (s *server) compact(ctx context.Context) (time.Duration, error) {
	body := strings.NewReader(`{"grace": "24h", "compact": true}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+adminapi.GCPath, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return 0, fmt.Errorf("POST %s: %s: %s", adminapi.GCPath, resp.Status, msg)
	}
	var res adminapi.GCResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return 0, fmt.Errorf("POST %s: %w", adminapi.GCPath, err)
	}
	return time.Since(start), nil
}

// objectsSize is the apparent size of the server's stored objects.
func (s *server) objectsSize() (int64, error) {
	return dirSize(filepath.Join(s.data, "objects"))
}

// lfsURL is the Git LFS endpoint of repo with the admin token in the URL.
func (s *server) lfsURL(repo string) string {
	return "http://admin:" + s.token + "@" + s.addr + "/" + repo + ".git/info/lfs"
}

// objectURL is the basic-transfer URL of one object in repo.
func (s *server) objectURL(repo, oid string) string {
	return s.url + "/" + repo + ".git/info/lfs/objects/" + oid
}
