package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/faulty"
)

// wantNoTemp fails if a temp file is left under dir.
func wantNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, ".tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var temps []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "put-") { // owner-*.lock is the backend's own, held while it lives
			temps = append(temps, e.Name())
		}
	}
	if len(temps) != 0 {
		t.Fatalf("%d temp files left behind, first %q", len(temps), temps[0])
	}
}

// errAfter yields n zero bytes, then err.
type errAfter struct {
	n   int
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, e.err
	}
	n := min(len(p), e.n)
	clear(p[:n])
	e.n -= n
	return n, nil
}

// failingWriterTo writes n zero bytes through WriteTo, then fails: a
// reader like the store's pack pipe, which Put copies with WriteTo.
type failingWriterTo struct {
	n   int
	err error
}

func (f failingWriterTo) Read([]byte) (int, error) { return 0, errors.New("Read called, want WriteTo") }

func (f failingWriterTo) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(make([]byte, f.n))
	if err != nil {
		return int64(n), err
	}
	return int64(n), f.err
}

func TestFailedPutRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, dir)
	ctx := t.Context()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	fails := []struct {
		name string
		ctx  context.Context
		r    io.Reader
		want error
	}{
		{"reader", ctx, &errAfter{3 << 20, io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF},
		{"cancelled", cancelled, bytes.NewReader(make([]byte, 1<<20)), context.Canceled},
		{"nospace", ctx, &errAfter{2 << 20, syscall.ENOSPC}, store.ErrNoSpace},
		{"writerto", ctx, failingWriterTo{1 << 20, io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF},
	}
	for _, f := range fails {
		if err := b.Put(f.ctx, "obj", f.r); !errors.Is(err, f.want) {
			t.Errorf("%s: Put = %v, want %v", f.name, err, f.want)
		}
		wantNoTemp(t, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "obj")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("failed Puts left an object file: %v", err)
	}
}

// TestNoSpaceMidWrite runs the faulty decorator over the local backend, as
// the store's own tests do to simulate a disk filling up.
func TestNoSpaceMidWrite(t *testing.T) {
	dir := t.TempDir()
	b := faulty.Wrap(newBackend(t, dir))
	b.FailPutAfterBytes(5<<20, syscall.ENOSPC)
	err := b.Put(t.Context(), "pack", bytes.NewReader(make([]byte, 8<<20)))
	if !errors.Is(err, store.ErrNoSpace) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put = %v, want ErrNoSpace wrapping ENOSPC", err)
	}
	wantNoTemp(t, dir)
	if _, err := b.Stat(t.Context(), "pack"); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("Stat after a failed Put = %v, want ErrObjectNotExist", err)
	}
}

func TestPutLayout(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, dir)
	if err := b.Put(t.Context(), "packs/ab/cd.pack", bytes.NewReader([]byte("hello"))); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "packs", "ab", "cd.pack"))
	if err != nil || string(got) != "hello" {
		t.Fatalf("object file = %q, %v; want %q", got, err, "hello")
	}
	wantNoTemp(t, dir)
	// A directory is not an object.
	if _, err := b.Stat(t.Context(), "packs/ab"); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("Stat of a directory = %v, want ErrObjectNotExist", err)
	}
	if err := b.Delete(t.Context(), "packs/ab"); err != nil {
		t.Fatalf("Delete of a directory = %v, want nil", err)
	}
	if _, err := b.Stat(t.Context(), "packs/ab/cd.pack"); err != nil {
		t.Fatalf("Delete of the parent directory removed the object: %v", err)
	}
}

func TestNamesStayInsideRoot(t *testing.T) {
	parent := t.TempDir()
	b := newBackend(t, filepath.Join(parent, "root"))
	for _, name := range []string{"../escape", "../../escape", "a/../../escape", "/tmp/escape", ".tmp/x", ".tmp"} {
		if err := b.Put(t.Context(), name, bytes.NewReader([]byte("x"))); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Put(%q) = %v, want fs.ErrInvalid", name, err)
		}
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "root" {
		t.Fatalf("the parent of the root holds %d entries, want only the root", len(entries))
	}
}

func TestListSkipsTemp(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, dir)
	if err := os.WriteFile(filepath.Join(dir, ".tmp", "put-123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", ".", ".t", ".tmp", ".tmp/"} {
		err := b.List(t.Context(), prefix, func(info store.ObjectInfo) error {
			t.Errorf("List(%q) reported %q", prefix, info.Name)
			return nil
		})
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
	}
}

func TestAvailable(t *testing.T) {
	b := newBackend(t, t.TempDir())
	n, err := b.Available(t.Context())
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil || n <= 0 {
		t.Fatalf("Available = %d, %v; want a positive size", n, err)
	}
}
