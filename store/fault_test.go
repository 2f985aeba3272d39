package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/memory"
)

// onePack returns the name of the only pack in the backend.
func onePack(t *testing.T, b store.Backend) store.ObjectInfo {
	t.Helper()
	var packs []store.ObjectInfo
	err := b.List(context.Background(), "packs/", func(oi store.ObjectInfo) error {
		packs = append(packs, oi)
		return nil
	})
	if err != nil || len(packs) != 1 {
		t.Fatalf("want exactly one pack, got %d (%v)", len(packs), err)
	}
	return packs[0]
}

// Invariant 2: a flipped byte anywhere in a chunk (raw or compressed) makes
// the read fail with ErrCorrupt, and the bytes of that chunk are never
// returned.
func TestCorruptionIsDetected(t *testing.T) {
	for _, kind := range []string{"random", "compressible"} {
		t.Run(kind, func(t *testing.T) {
			fb := faulty.Wrap(memory.New())
			f := newFixture(t, fb)
			b := randomBytes(20, 600<<10)
			if kind == "compressible" {
				b = bytes.Repeat([]byte("0123456789abcdef"), 600<<6)
			}
			f.put(t, "ml/x", b)
			pack := onePack(t, fb)
			for _, at := range []int64{0, pack.Size / 3, pack.Size / 2} {
				fb.Reset()
				f.clearQuarantine(t) // so that each flip is read, not refused up front
				fb.CorruptReads(pack.Name, at)
				got, err := f.read(t, "ml/x", sha(b), 0, -1)
				if !errors.Is(err, store.ErrCorrupt) {
					t.Fatalf("flip at %d: err %v, want ErrCorrupt", at, err)
				}
				if !bytes.Equal(got, b[:len(got)]) {
					t.Fatalf("flip at %d: the %d bytes returned before the error are wrong", at, len(got))
				}
			}
			// A read cut short while the pack is whole (a connection that
			// broke) is the transport's fault: ErrUnavailable, nothing
			// counted corrupt or quarantined, and the next read succeeds.
			fb.Reset()
			f.clearQuarantine(t)
			fb.TruncateReads(pack.Name)
			if _, err := f.read(t, "ml/x", sha(b), 0, -1); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("read of a whole pack cut short: err %v, want ErrUnavailable", err)
			}
			if n := f.st.Stats().CorruptChunks; n != 3 {
				t.Fatalf("Stats().CorruptChunks = %d after 3 corrupt reads and a broken one", n)
			}
			fb.Reset()
			if got, err := f.read(t, "ml/x", sha(b), 0, -1); err != nil || !bytes.Equal(got, b) {
				t.Fatalf("read after a broken read: %d bytes, %v; want the blob", len(got), err)
			}
		})
	}
}

// Invariant 1: a backend that fails while a pack is written (a full disk)
// leaves nothing visible and nothing recorded.
func TestBackendWriteFailureStoresNothing(t *testing.T) {
	fb := faulty.Wrap(memory.New())
	f := newFixture(t, fb)
	b := randomBytes(21, 3<<20)
	fb.FailPutAfterBytes(512<<10, syscall.ENOSPC)
	_, err := f.st.Put(context.Background(), "ml/x", sha(b), int64(len(b)), bytes.NewReader(b))
	if err == nil {
		t.Fatal("Put succeeded on a failing backend")
	}
	if f.count(t, "blobs") != 0 || f.count(t, "packs") != 0 || f.count(t, "links") != 0 {
		t.Fatal("metadata recorded for a failed Put")
	}
	fb.Reset()
	if n, _ := f.backendBytes(t); n != 0 {
		t.Fatalf("%d backend objects left after a failed Put", n)
	}
	f.put(t, "ml/x", b) // and the store still works
}

// Invariant 3 and 6: the reaper deletes packs that no metadata references
// once they are old enough, and never a committed pack.
func TestReapOrphans(t *testing.T) {
	backend := memory.New()
	f := newFixture(t, backend)
	b := randomBytes(22, 2<<20)
	f.put(t, "ml/x", b)
	var committed int
	_ = backend.List(context.Background(), "packs/", func(store.ObjectInfo) error { committed++; return nil })

	// An orphan, as a crash between writing a pack and committing leaves it.
	orphan := "packs/ab/ab000000000000000000000000000000.pack"
	if err := backend.Put(context.Background(), orphan, bytes.NewReader([]byte("orphan"))); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.ReapOrphans(context.Background()); err != nil || n != 0 {
		t.Fatalf("young orphan reaped: n=%d err=%v", n, err)
	}

	old, err := store.New(backend, f.db, store.Options{Chunking: testChunking, OrphanAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	time.Sleep(time.Millisecond)
	n, err := old.ReapOrphans(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("ReapOrphans = %d, %v; want 1", n, err)
	}
	if _, err := backend.Stat(context.Background(), orphan); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatal("orphan still there")
	}
	var left int
	_ = backend.List(context.Background(), "packs/", func(store.ObjectInfo) error { left++; return nil })
	if left != committed {
		t.Fatalf("%d packs left, want the %d committed ones", left, committed)
	}
	got, err := f.read(t, "ml/x", sha(b), 0, -1)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("blob unreadable after reaping: %v", err)
	}
}

// A reader closed early stops its producer (no goroutine or buffer leak)
// and a cancelled context ends the read.
func TestEarlyClose(t *testing.T) {
	f := newFixture(t, nil)
	b := randomBytes(23, 4<<20)
	f.put(t, "ml/x", b)
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := f.st.Open(ctx, "ml/x", sha(b), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(rc, buf); err != nil || !bytes.Equal(buf, b[:1000]) {
		t.Fatalf("first bytes: %v", err)
	}
	cancel()
	if _, err := io.ReadAll(rc); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v, want context.Canceled", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
}
