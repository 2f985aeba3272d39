package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/local"
	"github.com/ballastml/ballast/store/memory"
)

func newStagingFixture(t *testing.T, opts store.Options) *fixture {
	t.Helper()
	opts.Chunking, opts.PackSize = testChunking, 1<<20
	if opts.StageMin == 0 {
		opts.StageMin = 1
	}
	return newFixtureOpts(t, nil, opts)
}

// TestStagedPutIsRawUntilCompacted: a staged blob is one staged object and
// no chunks; compaction replaces it with packs and a recipe and deletes it.
func TestStagedPutIsRawUntilCompacted(t *testing.T) {
	f := newStagingFixture(t, store.Options{StageMin: 1 << 20})
	small, big := randomBytes(20, 1<<20-1), randomBytes(21, 3<<20+5)
	f.put(t, "ml/x", small)
	f.put(t, "ml/x", big)
	if n := f.count(t, "staged_blobs"); n != 1 {
		t.Fatalf("%d staged blobs, want 1 (the blob under StageMin is chunked inline)", n)
	}
	if n := countPrefix(t, f.backend, "staged/"); n != 1 {
		t.Fatalf("%d staged objects, want 1", n)
	}
	var recipeRows int
	if err := f.db.QueryRow(`SELECT COUNT(*) FROM blob_chunks WHERE digest = ?`, sha(big).String()).Scan(&recipeRows); err != nil || recipeRows != 0 {
		t.Fatalf("staged blob has %d recipe rows (%v)", recipeRows, err)
	}
	st := f.st.Stats()
	if st.BlobsStaged != 1 || st.StagedBytes != int64(len(big)) || st.BlobsStored != 2 {
		t.Fatalf("stats after staging: %+v", st)
	}

	n, bytes_, err := f.st.Compact(context.Background())
	if err != nil || n != 1 || bytes_ != int64(len(big)) {
		t.Fatalf("Compact = %d, %d, %v; want 1 blob of %d bytes", n, bytes_, err, len(big))
	}
	if f.count(t, "staged_blobs") != 0 || countPrefix(t, f.backend, "staged/") != 0 {
		t.Fatal("the staged row or object outlived compaction")
	}
	if err := f.db.QueryRow(`SELECT COUNT(*) FROM blob_chunks WHERE digest = ?`, sha(big).String()).Scan(&recipeRows); err != nil || recipeRows == 0 {
		t.Fatalf("compacted blob has no recipe (%v)", err)
	}
	if st := f.st.Stats(); st.Compacted != 1 || st.StagedBytes != 0 {
		t.Fatalf("stats after compaction: %+v", st)
	}
	if n := f.compact(t); n != 0 {
		t.Fatalf("a second pass compacted %d blobs", n)
	}
	got, err := f.read(t, "ml/x", sha(big), 0, -1)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read after compaction: %v", err)
	}
}

// TestStagedCorruptionIsDetected: a flipped byte in a staged object fails
// the reads of its block, and only those, and compaction leaves the blob
// staged rather than chunking bad bytes.
func TestStagedCorruptionIsDetected(t *testing.T) {
	dir := t.TempDir()
	backend, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureOpts(t, backend, store.Options{Chunking: testChunking, StageMin: 1})
	b := randomBytes(22, 3<<20)
	f.put(t, "ml/x", b)
	var object string
	if err := f.db.QueryRow(`SELECT object FROM staged_blobs`).Scan(&object); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.FromSlash(object))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[(1<<20)+1234] ^= 0x40 // in the second block
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ off, n int64 }{{0, -1}, {1 << 20, 10}, {2<<20 - 1, 1}} {
		f.clearQuarantine(t) // so that each read reaches the bad block
		got, err := f.read(t, "ml/x", sha(b), r.off, r.n)
		if !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("read %d+%d of a corrupt block: err %v", r.off, r.n, err)
		}
		if len(got) > 1<<20 {
			t.Fatalf("read %d+%d returned %d bytes, past the good block", r.off, r.n, len(got))
		}
	}
	// Quarantined: every read fails at once, even of the good blocks, and
	// the compactor leaves it alone.
	for _, r := range []struct{ off, n int64 }{{0, 1 << 20}, {2 << 20, -1}} {
		if _, err := f.read(t, "ml/x", sha(b), r.off, r.n); !errors.Is(err, store.ErrDamaged) {
			t.Fatalf("read %d+%d of a quarantined blob: %v; want ErrDamaged", r.off, r.n, err)
		}
	}
	if n := f.compact(t); n != 0 {
		t.Fatalf("compacted %d corrupt blobs", n)
	}
	if f.count(t, "staged_blobs") != 1 || f.count(t, "blob_chunks") != 0 {
		t.Fatal("a corrupt staged blob was compacted")
	}
	if st := f.st.Stats(); st.CorruptChunks == 0 || st.Quarantined == 0 {
		t.Fatalf("corruption not counted: %+v", st)
	}
	// An upload of the bytes repairs it, and the corrupt object goes.
	f.put(t, "ml/y", b)
	if got, err := f.read(t, "ml/x", sha(b), 0, -1); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after the repairing upload: %d bytes, %v", len(got), err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the corrupt staged object is still there: %v", err)
	}
	if n := f.compact(t); n != 1 {
		t.Fatalf("compacted %d blobs after the repair, want 1", n)
	}
}

// TestStageBacklog: past the backlog, uploads are chunked inline.
func TestStageBacklog(t *testing.T) {
	f := newStagingFixture(t, store.Options{StageBacklog: 3 << 20})
	a, b := randomBytes(23, 2<<20), randomBytes(24, 2<<20)
	f.put(t, "ml/x", a)
	f.put(t, "ml/x", b)
	if n := f.count(t, "staged_blobs"); n != 1 {
		t.Fatalf("%d staged blobs, want 1: the second would pass the 3 MiB backlog", n)
	}
	f.compact(t)
	c := randomBytes(25, 2<<20)
	f.put(t, "ml/x", c)
	if n := f.count(t, "staged_blobs"); n != 1 {
		t.Fatalf("%d staged blobs after compaction emptied the backlog, want 1", n)
	}
}

// TestStagedBytesSurviveRestart: the backlog is counted again on open.
func TestStagedBytesSurviveRestart(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	b := randomBytes(26, 1<<20+1)
	f.put(t, "ml/x", b)
	st2, err := store.New(f.backend, f.db, store.Options{Chunking: testChunking})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if got := st2.Stats().StagedBytes; got != int64(len(b)) {
		t.Fatalf("reopened store counts %d staged bytes, want %d", got, len(b))
	}
	if n, _, err := st2.Compact(context.Background()); err != nil || n != 1 {
		t.Fatalf("reopened store compacted %d, %v", n, err)
	}
}

// TestGCDeletesStagedBlobs: an unlinked staged blob goes with its object.
func TestGCDeletesStagedBlobs(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	b := randomBytes(27, 2<<20)
	f.put(t, "ml/x", b)
	f.unlink(t, "ml/x", b)
	gc, err := f.st.GC(context.Background(), 0)
	if err != nil || gc.Blobs != 1 {
		t.Fatalf("GC = %+v, %v", gc, err)
	}
	if f.count(t, "staged_blobs") != 0 || f.count(t, "blobs") != 0 || countPrefix(t, f.backend, "staged/") != 0 {
		t.Fatal("GC left the staged blob's row or object")
	}
	if st := f.st.Stats(); st.StagedBytes != 0 {
		t.Fatalf("backlog after GC: %d", st.StagedBytes)
	}
	if n := f.compact(t); n != 0 {
		t.Fatalf("compacted %d deleted blobs", n)
	}
}

// TestReapStagedOrphans: a staged object no row refers to (a crash before
// the commit) is reaped once old; committed ones are kept.
func TestReapStagedOrphans(t *testing.T) {
	f := newStagingFixture(t, store.Options{OrphanAge: time.Nanosecond})
	b := randomBytes(28, 1<<20)
	f.put(t, "ml/x", b)
	orphan := "staged/ab/ab000000000000000000000000000000.raw"
	if err := f.backend.Put(context.Background(), orphan, bytes.NewReader([]byte("left by a crash"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // older than OrphanAge by the backend's clock
	if _, err := f.st.ReapOrphans(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.backend.Stat(context.Background(), orphan); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("orphan staged object not reaped: %v", err)
	}
	if n := countPrefix(t, f.backend, "staged/"); n != 1 {
		t.Fatalf("%d staged objects after reaping, want the committed one", n)
	}
	got, err := f.read(t, "ml/x", sha(b), 0, -1)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after reaping: %v", err)
	}
}

// TestPutConcatOfStagedBlob: a tar layer built from a staged model reuses
// its chunks, which needs the model compacted first.
func TestPutConcatOfStagedBlob(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	b := randomBytes(29, 2<<20)
	f.put(t, "ml/x", b)
	info, err := f.st.PutConcat(context.Background(), "ml/x", []store.Part{{Bytes: []byte("head")}, {Blob: sha(b)}, {Bytes: []byte("tail")}})
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte("head"), b...), "tail"...)
	got, err := f.read(t, "ml/x", info.Digest, 0, -1)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read concat: %v", err)
	}
	if f.count(t, "staged_blobs") != 0 {
		t.Fatal("the part is still staged")
	}
}

// TestCompactorWaitsForTransfers: while a transfer runs the background
// compactor does not commit; an explicit Compact does not wait; once the
// transfer ends the background compactor does the rest.
func TestCompactorWaitsForTransfers(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	a, b := randomBytes(30, 2<<20), randomBytes(32, 2<<20)
	f.put(t, "ml/x", a)
	rc, err := f.st.Open(context.Background(), "ml/x", sha(a), 0, -1) // a download in progress
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.st.RunCompactor(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(1500 * time.Millisecond) // longer than the compactor's quiet period
	if f.count(t, "staged_blobs") != 1 {
		t.Fatal("the background compactor committed during a transfer")
	}
	// The background compactor, paused on blob a, goes on while Compact
	// waits for it: a is compacted by one or the other.
	if _, _, err := f.st.Compact(context.Background()); err != nil || f.count(t, "staged_blobs") != 0 {
		t.Fatalf("after an explicit Compact during a transfer: %d staged, err %v", f.count(t, "staged_blobs"), err)
	}
	f.put(t, "ml/x", b)
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("download: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); f.count(t, "staged_blobs") > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the background compactor did not compact after the transfer ended")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadsDuringCompaction: readers running while compaction swaps staged
// objects for recipes get the right bytes. The store reading is opened
// with a full backlog, so that its compactor does not wait for them.
func TestReadsDuringCompaction(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	var blobs [][]byte
	for i := range 4 {
		b := randomBytes(uint64(40+i), 1<<20+i*333333)
		blobs = append(blobs, b)
		f.put(t, "ml/x", b)
	}
	st, err := store.New(f.backend, f.db, store.Options{Chunking: testChunking, PackSize: 1 << 20, StageBacklog: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, len(blobs))
	for _, b := range blobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int64(0); ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				off := (k * 77777) % int64(len(b))
				rc, err := st.Open(context.Background(), "ml/x", sha(b), off, 1<<20)
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if want := b[off:min(off+1<<20, int64(len(b)))]; err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("read %d bytes at %d: got %d bytes, err %v", len(want), off, len(got), err)
					return
				}
			}
		}()
	}
	n, _, err := st.Compact(context.Background())
	close(stop)
	wg.Wait()
	if err != nil || n != len(blobs) {
		t.Fatalf("Compact = %d, %v", n, err)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if f.count(t, "staged_blobs") != 0 {
		t.Fatal("blobs left staged")
	}
}

// TestStaleStagedRowReadsRecipe: a reader that found the staged row just
// before the compactor committed finds the object gone, sends nothing, and
// Open reads the same bytes from the recipe.
func TestStaleStagedRowReadsRecipe(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	b := randomBytes(31, 3<<20+7)
	f.put(t, "ml/x", b)
	ctx := context.Background()
	start, end := int64(1<<20+5), int64(len(b)-3)
	next, staged, err := f.st.StaleStagedRead(ctx, sha(b), int64(len(b)), start, end, func() { f.compact(t) })
	if !staged || !errors.Is(err, store.ErrStagedGone) || next != start {
		t.Fatalf("stale read = %d, staged %v, %v; want %d, errStagedGone", next, staged, err, start)
	}
	got, err := f.read(t, "ml/x", sha(b), start, end-start)
	if err != nil || !bytes.Equal(got, b[start:end]) {
		t.Fatalf("read after compaction: %d bytes, %v", len(got), err)
	}
}

// TestMissingRecipeIsCorrupt: a blob with neither a staged object nor a
// recipe fails its reads instead of reading as empty.
func TestMissingRecipeIsCorrupt(t *testing.T) {
	f := newFixture(t, nil)
	b := bytes.Repeat([]byte("x"), 5000)
	f.put(t, "ml/x", b)
	if _, err := f.db.Exec(`DELETE FROM blob_chunks`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.read(t, "ml/x", sha(b), 0, -1); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("read of a blob without recipe: %v, want ErrCorrupt", err)
	}
}

// TestConcurrentStagingKeepsTheBacklog: uploads racing for the last of the
// backlog cannot overshoot it together.
func TestConcurrentStagingKeepsTheBacklog(t *testing.T) {
	f := newStagingFixture(t, store.Options{StageBacklog: 5 << 20})
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			b := randomBytes(uint64(60+i), 2<<20)
			if _, err := f.st.Put(context.Background(), "ml/x", sha(b), int64(len(b)), bytes.NewReader(b)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.count(t, "staged_blobs"); n != 2 {
		t.Fatalf("%d of six 2 MiB uploads staged under a 5 MiB backlog, want 2", n)
	}
	if got := f.st.Stats().StagedBytes; got != 4<<20 {
		t.Fatalf("backlog %d, want 4 MiB", got)
	}
}

// TestFailedStagingGivesBackTheBacklog: an upload that fails leaves the
// backlog as it was.
func TestFailedStagingGivesBackTheBacklog(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	b := randomBytes(70, 2<<20)
	if _, err := f.st.Put(context.Background(), "ml/x", sha(b), int64(len(b)), bytes.NewReader(b[:1<<20])); !errors.Is(err, store.ErrSizeMismatch) {
		t.Fatalf("short upload: %v", err)
	}
	if got := f.st.Stats().StagedBytes; got != 0 {
		t.Fatalf("backlog %d after a failed upload", got)
	}
}

// TestCompactionSurvivesBackendFailure: a compaction whose pack writes
// fail records nothing, leaves the blob staged and readable, and a later
// pass compacts it.
func TestCompactionSurvivesBackendFailure(t *testing.T) {
	fb := faulty.Wrap(memory.New())
	f := newFixtureOpts(t, fb, store.Options{Chunking: testChunking, PackSize: 1 << 20, StageMin: 1})
	b := randomBytes(71, 3<<20)
	f.put(t, "ml/x", b)
	fb.FailPutAfterBytes(256<<10, syscall.ENOSPC)
	if _, _, err := f.st.Compact(context.Background()); !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, store.ErrNoSpace) {
		t.Fatalf("Compact on a failing backend: %v", err)
	}
	fb.Reset()
	if f.count(t, "staged_blobs") != 1 || f.count(t, "blob_chunks") != 0 || f.count(t, "packs") != 0 {
		t.Fatal("a failed compaction recorded something")
	}
	got, err := f.read(t, "ml/x", sha(b), 0, -1)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after a failed compaction: %v", err)
	}
	if n := f.compact(t); n != 1 {
		t.Fatalf("the next pass compacted %d blobs", n)
	}
	got, err = f.read(t, "ml/x", sha(b), 0, -1)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after compaction: %v", err)
	}
}

// TestStagingHugeClaimedSize: a client claiming an enormous size costs
// the server nothing in advance; the short body fails as usual.
func TestStagingHugeClaimedSize(t *testing.T) {
	f := newStagingFixture(t, store.Options{StageBacklog: 1 << 62})
	b := randomBytes(72, 3<<20)
	if _, err := f.st.Put(context.Background(), "ml/x", sha(b), 1<<60, bytes.NewReader(b)); !errors.Is(err, store.ErrSizeMismatch) {
		t.Fatalf("Put claiming 1 EiB with 3 MiB: %v, want ErrSizeMismatch", err)
	}
	if f.count(t, "staged_blobs") != 0 || countPrefix(t, f.backend, "staged/") != 0 || f.st.Stats().StagedBytes != 0 {
		t.Fatal("a failed huge upload left something behind")
	}
}

// TestCompactorPausesAtMostMaxPause: a transfer that never ends does not
// keep the background compactor waiting for ever.
func TestCompactorPausesAtMostMaxPause(t *testing.T) {
	defer store.SetCompactMaxPause(500 * time.Millisecond)()
	f := newStagingFixture(t, store.Options{})
	a := randomBytes(33, 2<<20)
	f.put(t, "ml/x", a)
	rc, err := f.st.Open(context.Background(), "ml/x", sha(a), 0, -1) // never read to the end
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.st.RunCompactor(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(30 * time.Second); f.count(t, "staged_blobs") > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the compactor still waits for a transfer after its longest pause")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRandomRanges reads many random ranges of a blob whose size is not a
// multiple of anything, staged and compacted, and compares them with the
// bytes.
func TestRandomRanges(t *testing.T) {
	inModes(t, func(t *testing.T, f *fixture) {
		b := randomBytes(73, 3<<20+333_333)
		f.put(t, "ml/x", b)
		r := mrand.New(mrand.NewPCG(1, 2))
		check := func(when string) {
			for range 200 {
				off := r.Int64N(int64(len(b)))
				n := r.Int64N(int64(len(b))-off+2) - 1 // -1: to the end
				got, err := f.read(t, "ml/x", sha(b), off, n)
				end := int64(len(b))
				if n >= 0 && off+n < end {
					end = off + n
				}
				if err != nil || !bytes.Equal(got, b[off:end]) {
					t.Fatalf("%s: read %d+%d: %d bytes, err %v; want %d bytes", when, off, n, len(got), err, end-off)
				}
			}
		}
		check("after Put")
		f.compact(t)
		check("after Compact")
	})
}

// TestStagedUploadSession: a resumable upload session of several pieces
// is staged when finished, then compacted, and its pieces go.
func TestStagedUploadSession(t *testing.T) {
	f := newStagingFixture(t, store.Options{})
	ctx := context.Background()
	b := randomBytes(74, 3<<20+5)
	u, err := f.st.StartUpload(ctx, "ml/x")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int{{0, 1 << 20}, {1 << 20, 2<<20 + 3}} {
		if _, err := f.st.AppendUpload(ctx, "ml/x", u.ID, int64(r[0]), bytes.NewReader(b[r[0]:r[1]])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.FinishUpload(ctx, "ml/x", u.ID, sha(b), bytes.NewReader(b[2<<20+3:]), int64(len(b)-(2<<20+3))); err != nil {
		t.Fatal(err)
	}
	if f.count(t, "staged_blobs") != 1 || countPrefix(t, f.backend, "uploads/") != 0 {
		t.Fatal("the finished session is not staged, or its pieces are left")
	}
	for _, when := range []string{"staged", "compacted"} {
		got, err := f.read(t, "ml/x", sha(b), 0, -1)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s: read back: %v", when, err)
		}
		f.compact(t)
	}
}

// TestStagedHashPages: the block hashes of a staged upload are recorded a
// page at a time as it arrives; reads use every page; compaction, a failed
// upload and the reaper leave no page behind.
func TestStagedHashPages(t *testing.T) {
	defer store.SetSumsPage(2)()
	f := newStagingFixture(t, store.Options{OrphanAge: time.Nanosecond})
	b := randomBytes(75, 5<<20+7) // 6 blocks: pages 0, 1 and 2
	f.put(t, "ml/x", b)
	if n := f.count(t, "staged_sums"); n != 3 {
		t.Fatalf("%d pages of block hashes for 6 blocks, 2 to a page; want 3", n)
	}
	checkRanges(t, f, b)

	// An upload that fails after two pages leaves none.
	c := randomBytes(76, 6<<20)
	r := io.MultiReader(bytes.NewReader(c[:5<<20]), errReader{errors.New("connection reset")})
	if _, err := f.st.Put(context.Background(), "ml/x", sha(c), int64(len(c)), r); err == nil {
		t.Fatal("a failing upload succeeded")
	}
	if n := f.count(t, "staged_sums"); n != 3 {
		t.Fatalf("%d pages after a failed upload; want the first blob's 3", n)
	}

	// Old pages no staged blob names are reaped; fresh ones, which may be
	// those of an upload another replica is receiving, are not.
	if _, err := f.db.Exec(`INSERT INTO staged_sums (object, page, sums) VALUES ('staged/ab/orphan.raw', 0, ?)`, []byte{0}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`INSERT INTO staged_sums (object, page, sums, written_at) VALUES ('staged/cd/elsewhere.raw', 0, ?, ?)`,
		[]byte{0}, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ReapOrphans(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "staged_sums"); n != 4 {
		t.Fatalf("%d pages after reaping; want the first blob's 3 and the fresh one", n)
	}
	if _, err := f.db.Exec(`DELETE FROM staged_sums WHERE object = 'staged/cd/elsewhere.raw'`); err != nil {
		t.Fatal(err)
	}

	f.compact(t)
	if n := f.count(t, "staged_sums"); n != 0 {
		t.Fatalf("%d pages after compaction", n)
	}
	checkRanges(t, f, b)
}

// TestMissingHashPageIsCorrupt: a staged read whose block hash is missing
// fails instead of returning unverified bytes, and quarantines the blob:
// later reads fail at once, until an upload of the bytes repairs it.
func TestMissingHashPageIsCorrupt(t *testing.T) {
	defer store.SetSumsPage(2)()
	f := newStagingFixture(t, store.Options{})
	b := randomBytes(77, 5<<20)
	f.put(t, "ml/x", b)
	if _, err := f.db.Exec(`DELETE FROM staged_sums WHERE page = 1`); err != nil {
		t.Fatal(err)
	}
	if got, err := f.read(t, "ml/x", sha(b), 0, -1); !errors.Is(err, store.ErrCorrupt) || len(got) > 2<<20 {
		t.Fatalf("read with a missing page of hashes: %d bytes, %v; want ErrCorrupt after 2 MiB at most", len(got), err)
	}
	if _, err := f.read(t, "ml/x", sha(b), 4<<20, -1); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("read of a quarantined blob: %v; want ErrDamaged", err)
	}
	f.put(t, "ml/x", b)
	if got, err := f.read(t, "ml/x", sha(b), 0, -1); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after the repairing upload: %d bytes, %v", len(got), err)
	}
}
