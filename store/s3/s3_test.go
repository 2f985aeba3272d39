package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/miniotest"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/backendtest"
	"github.com/ballastml/ballast/store/s3"
)

var srv *miniotest.Server

const bucket = "ballast-test"

func TestMain(m *testing.M) {
	os.Exit(miniotest.Main(m, &srv, func(s *miniotest.Server) error {
		return s.MakeBucket(context.Background(), bucket)
	}))
}

// setCredentials points the backend's credential chain at the server.
func setCredentials(t *testing.T, access, secret string) {
	t.Setenv("AWS_ACCESS_KEY_ID", access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
}

// newBackend returns a backend on a prefix no other test uses.
func newBackend(t *testing.T) *s3.Backend {
	t.Helper()
	setCredentials(t, srv.AccessKey, srv.SecretKey)
	b, err := s3.New(s3.Config{
		Bucket: bucket, Prefix: "t/" + strings.ToLower(rand.Text()[:8]),
		Endpoint: srv.URL(), PathStyle: true, Region: "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBackend(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) store.Backend { return newBackend(t) })
}

func TestLargeObjectsAreMultipart(t *testing.T) {
	b := newBackend(t)
	for _, size := range []int{8 << 20, 8<<20 + 1, 8<<20 + 16<<20, 8<<20 + 16<<20 + 3} {
		data := make([]byte, size)
		rand.Read(data)
		if err := b.Put(t.Context(), "big", bytes.NewReader(data)); err != nil {
			t.Fatalf("Put of %d bytes: %v", size, err)
		}
		rc, err := b.ReadRange(t.Context(), "big", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("Put of %d bytes reads back as %d other bytes", size, got.Len())
		}
	}
	if n, err := b.UploadsOf(t.Context(), "big"); err != nil || n != 0 {
		t.Fatalf("incomplete uploads left after successful Puts: %d, %v", n, err)
	}
	if n := b.Markers(t.Context()); n != 0 {
		t.Fatalf("successful Puts left %d upload markers", n)
	}
	var names []string
	b.List(t.Context(), "", func(o store.ObjectInfo) error { names = append(names, o.Name); return nil })
	if len(names) != 1 {
		t.Fatalf("List after Puts = %q, want only big (no upload markers)", names)
	}
}

// TestFailedMultipartLeavesNoParts: a Put whose reader fails after the
// first part aborts its upload, and Reap aborts one a crash left.
func TestFailedMultipartLeavesNoParts(t *testing.T) {
	b := newBackend(t)
	r := &failAfter{data: make([]byte, 30<<20), n: 26 << 20}
	if err := b.Put(t.Context(), "obj", r); !errors.Is(err, errBroken) {
		t.Fatalf("Put with a reader failing after two parts = %v, want its error", err)
	}
	if n, err := b.UploadsOf(t.Context(), "obj"); err != nil || n != 0 {
		t.Fatalf("a failed Put left %d incomplete uploads (%v)", n, err)
	}
	if n := b.Markers(t.Context()); n != 0 {
		t.Fatalf("a failed Put left %d upload markers", n)
	}
	if err := b.StartUpload(t.Context(), "crashed"); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Reap(t.Context()); err != nil || n != 0 {
		t.Fatalf("Reap of a fresh upload = %d, %v; want it kept (its writer may be alive)", n, err)
	}
	if n, err := b.ReapOlderThan(t.Context(), -time.Minute); err != nil || n != 1 {
		t.Fatalf("Reap of a stale upload = %d, %v; want 1", n, err)
	}
	if n, err := b.UploadsOf(t.Context(), "crashed"); err != nil || n != 0 {
		t.Fatalf("%d incomplete uploads after Reap (%v)", n, err)
	}
	if n := b.Markers(t.Context()); n != 0 {
		t.Fatalf("%d upload markers after Reap", n)
	}
}

// TestCancelledMultipartLeavesNoParts: a Put cancelled in its second part
// (a client gone, a server shutting down) still aborts its upload.
func TestCancelledMultipartLeavesNoParts(t *testing.T) {
	b := newBackend(t)
	ctx, cancel := context.WithCancel(t.Context())
	r := &cancelAfter{failAfter: failAfter{data: make([]byte, 40<<20), n: 40 << 20}, at: 20 << 20, cancel: cancel}
	if err := b.Put(ctx, "obj", r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled in its second part = %v, want context.Canceled", err)
	}
	if n, err := b.UploadsOf(t.Context(), "obj"); err != nil || n != 0 {
		t.Fatalf("a cancelled Put left %d incomplete uploads (%v)", n, err)
	}
	if n := b.Markers(t.Context()); n != 0 {
		t.Fatalf("a cancelled Put left %d upload markers", n)
	}
	if _, err := b.Stat(t.Context(), "obj"); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("Stat after a cancelled Put = %v, want ErrObjectNotExist", err)
	}
}

type cancelAfter struct {
	failAfter
	at     int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.off >= c.at {
		c.cancel()
	}
	return c.failAfter.Read(p)
}

var errBroken = errors.New("broken on purpose")

type failAfter struct {
	data []byte
	n    int // bytes yielded before failing
	off  int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.off >= f.n {
		return 0, errBroken
	}
	n := copy(p, f.data[f.off:f.n])
	f.off += n
	return n, nil
}

func TestCheckSaysWhatToFix(t *testing.T) {
	tests := []struct {
		name, bucket, access, secret, endpoint string
		want                                   []string
	}{
		{"missing bucket", "no-such-bucket", srv.AccessKey, srv.SecretKey, srv.URL(), []string{"no-such-bucket", "does not exist", "create it"}},
		{"wrong access key", bucket, "nobody", srv.SecretKey, srv.URL(), []string{"check the credentials"}},
		{"wrong secret", bucket, srv.AccessKey, "wrong-secret", srv.URL(), []string{"check the credentials"}},
		{"nothing listening", bucket, srv.AccessKey, srv.SecretKey, "http://127.0.0.1:1", []string{"check --s3-endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setCredentials(t, tt.access, tt.secret)
			b, err := s3.New(s3.Config{Bucket: tt.bucket, Endpoint: tt.endpoint, PathStyle: true, Region: "us-east-1"})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			err = b.Check(ctx)
			if err == nil {
				t.Fatal("Check passed")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check: %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	good := map[string][2]string{
		"s3://models":               {"models", ""},
		"s3://models/":              {"models", ""},
		"s3://models/ballast/prod":  {"models", "ballast/prod"},
		"s3://models/ballast/prod/": {"models", "ballast/prod"},
	}
	for in, want := range good {
		b, p, err := s3.ParseURL(in)
		if err != nil || b != want[0] || p != want[1] {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q", in, b, p, err, want[0], want[1])
		}
	}
	for _, bad := range []string{"", "models", "s3://", "s3:///x", "http://models/x", "s3://models/a//b", "s3://models/../x", "s3://models/A", "s3://u:p@models", "s3://models?x=1"} {
		if _, _, err := s3.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted it", bad)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://models/a/b", "s3://m", "s3://m/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		b, p, err := s3.ParseURL(raw)
		if err != nil {
			return
		}
		if b == "" || (p != "" && store.CheckObjectName(p) != nil) {
			t.Fatalf("ParseURL(%q) = %q, %q: an invalid bucket or prefix", raw, b, p)
		}
	})
}
