package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"
	"github.com/ballastml/ballast/internal/testkit/miniotest"
	"github.com/ballastml/ballast/internal/testkit/pgtest"
)

// BALLAST_E2E_STORE=s3 runs every server of this package with its objects
// in a real MinIO, and BALLAST_E2E_DB=postgres with its metadata in a real
// PostgreSQL, each started once for the package (make test runs the
// end-to-end suite again this way). Each server gets its own prefix of one
// bucket and its own database.
var (
	s3Server *miniotest.Server
	pgServer *pgtest.Server
)

// startModes starts the services the BALLAST_E2E_ variables ask for; it
// returns a function that stops them.
func startModes() (func(), error) {
	stopS3, err := startS3()
	if err != nil {
		return nil, err
	}
	switch os.Getenv("BALLAST_E2E_DB") {
	case "":
		return stopS3, nil
	case "postgres":
	default:
		stopS3()
		return nil, fmt.Errorf("BALLAST_E2E_DB=%q: want postgres or nothing", os.Getenv("BALLAST_E2E_DB"))
	}
	if pgServer, err = pgtest.Start(); err != nil {
		stopS3()
		return nil, fmt.Errorf("BALLAST_E2E_DB=postgres needs a real PostgreSQL: %w", err)
	}
	return func() { pgServer.Close(); stopS3() }, nil
}

const s3Bucket = "e2e"

// startS3 starts MinIO and makes the bucket when BALLAST_E2E_STORE=s3; it
// returns a function that stops it.
func startS3() (func(), error) {
	switch os.Getenv("BALLAST_E2E_STORE") {
	case "":
		return func() {}, nil
	case "s3":
	default:
		return nil, fmt.Errorf("BALLAST_E2E_STORE=%q: want s3 or nothing", os.Getenv("BALLAST_E2E_STORE"))
	}
	s, err := miniotest.Start()
	if err != nil {
		return nil, fmt.Errorf("BALLAST_E2E_STORE=s3 needs a real MinIO: %w", err)
	}
	if err := s.MakeBucket(context.Background(), s3Bucket); err != nil {
		s.Close()
		return nil, err
	}
	s3Server = s
	return s.Close, nil
}

// modeArgs returns the serve flags and environment that put a new
// server's objects in MinIO and its metadata in a new PostgreSQL database,
// as the package's mode asks; nothing for local disk and SQLite.
func modeArgs(t *testing.T) (args, env []string) {
	if s3Server != nil {
		args = append(args, "--store", "s3://"+s3Bucket+"/"+strings.ToLower(rand.Text()[:10]),
			"--s3-endpoint", s3Server.URL(), "--s3-path-style")
		env = s3Server.Env()
	}
	if pgServer != nil {
		args = append(args, "--db", dbtest.NewPostgres(t, pgServer.DSN("postgres")))
	}
	return args, env
}

// TestS3StartupErrors: a server pointed at a bucket it cannot use does not
// start, and says what to fix.
func TestS3StartupErrors(t *testing.T) {
	requireTools(t, "minio")
	srv := s3Server
	if srv == nil {
		var err error
		if srv, err = miniotest.Start(); err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		if err := srv.MakeBucket(t.Context(), s3Bucket); err != nil {
			t.Fatal(err)
		}
	}
	good := srv.Env()
	tests := []struct {
		name  string
		args  []string
		env   []string
		wants []string
	}{
		{"missing bucket", []string{"--store", "s3://nope/x"}, good, []string{`"nope" does not exist`, "create it"}},
		{"wrong secret", []string{"--store", "s3://" + s3Bucket}, append(slices.Clone(good), "AWS_SECRET_ACCESS_KEY=wrong"), []string{"check the credentials"}},
		{"no credentials", []string{"--store", "s3://" + s3Bucket}, []string{}, []string{"check the credentials"}},
		{"not an s3 URL", []string{"--store", "gs://bucket"}, good, []string{"want s3://BUCKET"}},
		{"bad prefix", []string{"--store", "s3://" + s3Bucket + "/../x"}, good, []string{"the prefix may hold only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", freeAddr(t), "--data", t.TempDir(), "--s3-endpoint", srv.URL(), "--s3-path-style"}, tt.args...)
			cmd := exec.Command(ballastBin, args...)
			cmd.Env = append(append(environ("BALLAST_", "AWS_"), tt.env...), "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent")
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(90 * time.Second):
				cmd.Process.Kill()
				t.Fatal("ballast serve kept running")
			}
			if err == nil {
				t.Fatalf("ballast serve %v started:\n%s", tt.args, out)
			}
			for _, w := range tt.wants {
				if !strings.Contains(string(out), w) {
					t.Errorf("ballast serve %v: output does not say %q:\n%s", tt.args, w, out)
				}
			}
		})
	}
}
