package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/memory"
)

// repackSetup stores c = a || b as one pack, then a on its own (which
// dedups against c's first chunks), and unlinks c: c's pack is then mostly
// dead, a's chunks the only live ones in it.
func repackSetup(t *testing.T, f *fixture) (a []byte, cPack string) {
	t.Helper()
	a = randomBytes(80, 1<<20)
	c := append(append([]byte{}, a...), randomBytes(81, 3<<20)...)
	f.put(t, "ml/x", c)
	if err := f.db.QueryRow(`SELECT name FROM packs`).Scan(&cPack); err != nil {
		t.Fatalf("want c in one pack: %v", err)
	}
	f.put(t, "ml/x", a)
	f.unlink(t, "ml/x", c)
	return a, cPack
}

func newRepackFixture(t *testing.T, backend store.Backend) *fixture {
	return newFixtureOpts(t, backend, store.Options{Chunking: testChunking, PackSize: 64 << 20, StageMin: -1})
}

// TestGCRepacksMostlyDeadPacks: a pack whose live chunks take less than
// half of it is rewritten, and the space of its dead chunks comes back.
func TestGCRepacksMostlyDeadPacks(t *testing.T) {
	f := newRepackFixture(t, nil)
	a, old := repackSetup(t, f)
	_, before := f.backendBytes(t)
	st, err := f.st.GC(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Repacked != 1 || st.Copied == 0 || st.Copied > int64(len(a)) {
		t.Fatalf("GC = %+v; want one pack repacked, copying a's shared chunks", st)
	}
	if _, err := f.backend.Stat(context.Background(), old); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("the repacked pack is still there (%v) with a grace of 0", err)
	}
	_, after := f.backendBytes(t)
	if after > int64(len(a))+64<<10 || before-after < 3<<20 {
		t.Fatalf("backend holds %d bytes after GC (%d before) for a %d-byte blob", after, before, len(a))
	}
	if st.Dead > 4<<10 {
		t.Fatalf("%d dead bytes left after repacking", st.Dead)
	}
	got, err := f.read(t, "ml/x", sha(a), 0, -1)
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("read after repacking: %v", err)
	}
	if st2, err := f.st.GC(context.Background(), 0); err != nil || st2.Repacked != 0 {
		t.Fatalf("a second pass = %+v, %v; want nothing to repack", st2, err)
	}
}

// TestGCKeepsRetiredPacksForGrace: with a grace period, a repacked pack is
// kept (a reader may still be reading it) until it has been retired for
// the grace, and only packs written before the grace are repacked.
func TestGCKeepsRetiredPacksForGrace(t *testing.T) {
	f := newRepackFixture(t, nil)
	a, old := repackSetup(t, f)
	ctx := context.Background()
	gc := func() store.GCStats {
		t.Helper()
		st, err := f.st.GC(ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	ago := time.Now().Add(-2 * time.Hour).Unix()
	gc() // notes c as unlinked
	if _, err := f.db.Exec(`UPDATE gc_unlinked SET noted_at = ?`, ago); err != nil {
		t.Fatal(err)
	}
	if st := gc(); st.Blobs != 1 || st.Repacked != 0 {
		t.Fatalf("GC = %+v; want c deleted and its young pack left alone", st)
	}
	if _, err := f.db.Exec(`UPDATE packs SET created_at = ?`, ago); err != nil {
		t.Fatal(err)
	}
	if st := gc(); st.Repacked != 1 || st.Packs != 0 {
		t.Fatalf("GC = %+v; want the pack repacked and kept", st)
	}
	if _, err := f.backend.Stat(ctx, old); err != nil {
		t.Fatalf("the retired pack was deleted within the grace: %v", err)
	}
	got, err := f.read(t, "ml/x", sha(a), 0, -1)
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("read after repacking: %v", err)
	}
	if _, err := f.db.Exec(`UPDATE packs SET retired_at = ? WHERE retired_at IS NOT NULL`, ago); err != nil {
		t.Fatal(err)
	}
	if st := gc(); st.Packs != 1 {
		t.Fatalf("GC = %+v; want the retired pack deleted after the grace", st)
	}
	if _, err := f.backend.Stat(ctx, old); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("the retired pack outlived its grace: %v", err)
	}
	got, err = f.read(t, "ml/x", sha(a), 0, -1)
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("read after the retired pack went: %v", err)
	}
}

// TestGCDoesNotRepackCorruptPacks: a live chunk that fails verification
// keeps its pack from being repacked; GC goes on and reports it.
func TestGCDoesNotRepackCorruptPacks(t *testing.T) {
	fb := faulty.Wrap(memory.New())
	f := newRepackFixture(t, fb)
	_, old := repackSetup(t, f)
	fb.CorruptReads(old, 100)
	st, err := f.st.GC(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Repacked != 0 || st.Blobs != 1 {
		t.Fatalf("GC = %+v; want c deleted and the corrupt pack not repacked", st)
	}
	if _, err := f.backend.Stat(context.Background(), old); err != nil {
		t.Fatalf("the corrupt pack was deleted: %v", err)
	}
	if f.st.Stats().CorruptChunks == 0 {
		t.Fatal("the corruption was not counted")
	}
}
