package miniotest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Server is a running MinIO process.
type Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	dir       string
	log       *os.File
	cmd       *exec.Cmd
}

// URL returns the server's http:// URL.
func (s *Server) URL() string { return "http://" + s.Endpoint }

// Env returns the environment that points an AWS-style client at the
// server.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_S3=" + s.URL(),
	}
}

// ErrNoMinIO: the minio binary is not on PATH.
var ErrNoMinIO = errors.New("minio is not on PATH (run make tools, which installs the pinned MinIO into .tools/bin)")

// Start starts MinIO with its data in a new temporary directory and waits
// until it answers.
func Start() (*Server, error) {
	bin, err := exec.LookPath("minio")
	if err != nil {
		return nil, ErrNoMinIO
	}
	dir, err := os.MkdirTemp("", "miniotest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, AccessKey: "ballast-test", SecretKey: strings.ToLower(rand.Text())}
	if err := s.start(bin); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) start(bin string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	console, err := freeAddr()
	if err != nil {
		return err
	}
	if s.Endpoint == "" {
		s.Endpoint = addr
	}
	log, err := os.OpenFile(filepath.Join(s.dir, "minio.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "server", filepath.Join(s.dir, "data"), "--address", s.Endpoint, "--console-address", console, "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "CI=true")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start minio: %w", err)
	}
	s.cmd, s.log = cmd, log
	if err := s.waitLive(30 * time.Second); err != nil {
		s.kill()
		b, _ := os.ReadFile(filepath.Join(s.dir, "minio.log"))
		return fmt.Errorf("minio did not become ready: %w\n%s", err, b)
	}
	return nil
}

func (s *Server) waitLive(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/minio/health/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the server (it can be started again with Restart).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	s.cmd = nil
	s.log.Close()
}

// kill stops a server that Stop does not wait for (one that did not start).
func (s *Server) kill() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.cmd.Wait()
	s.cmd = nil
	s.log.Close()
}

// Restart starts a stopped server again on the same address and data.
func (s *Server) Restart() error {
	bin, err := exec.LookPath("minio")
	if err != nil {
		return ErrNoMinIO
	}
	return s.start(bin)
}

// Close stops the server and removes its data.
func (s *Server) Close() {
	s.Stop()
	os.RemoveAll(s.dir)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Main starts a server for a test package, runs setup on it (to create
// buckets, say; nil for none), runs the tests, stops the server and
// returns the exit code for os.Exit. *srv is set while the tests run. See
// the package comment for a missing binary.
func Main(m *testing.M, srv **Server, setup func(*Server) error) int {
	s, err := Start()
	if errors.Is(err, ErrNoMinIO) && os.Getenv("BALLAST_E2E") != "1" {
		fmt.Fprintf(os.Stderr, "SKIP: these tests need a real MinIO: %v\n", err)
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: these tests need a real MinIO: %v\n", err)
		return 1
	}
	*srv = s
	defer s.Close()
	if setup != nil {
		if err := setup(s); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: MinIO setup: %v\n", err)
			return 1
		}
	}
	return m.Run()
}

// MakeBucket creates a bucket on the server.
func (s *Server) MakeBucket(ctx context.Context, name string) error {
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		return err
	}
	return c.MakeBucket(ctx, name, minio.MakeBucketOptions{})
}
