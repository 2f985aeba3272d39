package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/memory"
)

func TestUploadSessionSurvivesRestart(t *testing.T) {
	backend := memory.New()
	f := newFixture(t, backend)
	ctx := context.Background()
	b := randomBytes(30, 700<<10)
	u, err := f.st.StartUpload(ctx, "ml/x")
	if err != nil {
		t.Fatal(err)
	}
	if u, err = f.st.AppendUpload(ctx, "ml/x", u.ID, 0, bytes.NewReader(b[:100<<10])); err != nil || u.Size != 100<<10 {
		t.Fatalf("append: %+v %v", u, err)
	}
	// Out-of-order and overlapping appends are refused and change nothing.
	for _, off := range []int64{0, 50, 200 << 10} {
		if _, err := f.st.AppendUpload(ctx, "ml/x", u.ID, off, bytes.NewReader(b)); !errors.Is(err, store.ErrUploadOffset) {
			t.Fatalf("append at %d: %v, want ErrUploadOffset", off, err)
		}
	}
	// The session belongs to its repository.
	if _, err := f.st.GetUpload(ctx, "ml/other", u.ID); !errors.Is(err, store.ErrUploadUnknown) {
		t.Fatalf("session visible from another repository: %v", err)
	}

	// A new Store over the same backend and database: a restart.
	st2, err := store.New(backend, f.db, store.Options{Chunking: testChunking})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	got, err := st2.GetUpload(ctx, "ml/x", u.ID)
	if err != nil || got.Size != 100<<10 {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if _, err := st2.AppendUpload(ctx, "ml/x", u.ID, 100<<10, bytes.NewReader(b[100<<10:300<<10])); err != nil {
		t.Fatal(err)
	}
	info, err := st2.FinishUpload(ctx, "ml/x", u.ID, sha(b), bytes.NewReader(b[300<<10:]), int64(len(b)-300<<10))
	if err != nil || info.Size != int64(len(b)) {
		t.Fatalf("finish: %+v %v", info, err)
	}
	data, err := f.read(t, "ml/x", sha(b), 0, -1)
	if err != nil || !bytes.Equal(data, b) {
		t.Fatalf("read back: %v", err)
	}
	if _, err := st2.GetUpload(ctx, "ml/x", u.ID); !errors.Is(err, store.ErrUploadUnknown) {
		t.Fatalf("session still open after finish: %v", err)
	}
	if n := countPrefix(t, backend, "uploads/"); n != 0 {
		t.Fatalf("%d upload pieces left after finish", n)
	}
}

func TestFinishUploadWrongDigestStoresNothing(t *testing.T) {
	backend := memory.New()
	f := newFixture(t, backend)
	ctx := context.Background()
	b := randomBytes(31, 300<<10)
	u, _ := f.st.StartUpload(ctx, "ml/x")
	if _, err := f.st.AppendUpload(ctx, "ml/x", u.ID, 0, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	_, err := f.st.FinishUpload(ctx, "ml/x", u.ID, sha(randomBytes(32, 10)), nil, 0)
	if !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("finish with wrong digest: %v", err)
	}
	if f.count(t, "blobs") != 0 || countPrefix(t, backend, "") != 0 {
		t.Fatal("a failed finish left data behind")
	}
	// Unknown-size final body (chunked transfer) works too.
	u, _ = f.st.StartUpload(ctx, "ml/x")
	if _, err := f.st.FinishUpload(ctx, "ml/x", u.ID, sha(b), bytes.NewReader(b), -1); err != nil {
		t.Fatal(err)
	}
}

func TestCancelAndReapUploads(t *testing.T) {
	backend := memory.New()
	f := newFixture(t, backend)
	ctx := context.Background()
	u, _ := f.st.StartUpload(ctx, "ml/x")
	if _, err := f.st.AppendUpload(ctx, "ml/x", u.ID, 0, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CancelUpload(ctx, "ml/x", u.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CancelUpload(ctx, "ml/x", u.ID); !errors.Is(err, store.ErrUploadUnknown) {
		t.Fatalf("second cancel: %v", err)
	}
	if countPrefix(t, backend, "uploads/") != 0 {
		t.Fatal("pieces left after cancel")
	}

	// An abandoned session, and a piece no session accounts for.
	u, _ = f.st.StartUpload(ctx, "ml/x")
	if _, err := f.st.AppendUpload(ctx, "ml/x", u.ID, 0, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	stray := "uploads/0123456789abcdef0123456789abcdef/00000000"
	if err := backend.Put(ctx, stray, bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	reaper, err := store.New(backend, f.db, store.Options{
		Chunking: testChunking, OrphanAge: time.Nanosecond, UploadMaxAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer reaper.Close()
	time.Sleep(1100 * time.Millisecond) // session times have one-second resolution
	if n, err := reaper.ReapOrphans(ctx); err != nil || n != 2 {
		t.Fatalf("ReapOrphans = %d, %v; want the session and the stray piece", n, err)
	}
	if _, err := f.st.GetUpload(ctx, "ml/x", u.ID); !errors.Is(err, store.ErrUploadUnknown) {
		t.Fatal("abandoned session not reaped")
	}
	if n := countPrefix(t, backend, "uploads/"); n != 0 {
		t.Fatalf("%d pieces left after reaping", n)
	}
}

func TestUnlink(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	b := randomBytes(33, 1000)
	f.put(t, "ml/a", b)
	f.put(t, "ml/b", b)
	if err := f.st.Unlink(ctx, "ml/a", sha(b)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Stat(ctx, "ml/a", sha(b)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("still linked after Unlink")
	}
	if _, err := f.st.Stat(ctx, "ml/b", sha(b)); err != nil {
		t.Fatal("Unlink in one repository removed it from another")
	}
	if err := f.st.Unlink(ctx, "ml/a", sha(b)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Unlink: %v", err)
	}
}

func countPrefix(t *testing.T, b store.Backend, prefix string) int {
	t.Helper()
	n := 0
	if err := b.List(context.Background(), prefix, func(store.ObjectInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
