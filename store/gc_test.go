package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ballastml/ballast/store"
)

// gcFixture is a store and the grace its GC passes give. Packs of 256 KiB
// keep the blobs of these tests in several packs each.
type gcFixture struct {
	*fixture
	grace time.Duration
}

func newGCFixture(t *testing.T, grace time.Duration) *gcFixture {
	t.Helper()
	f := newFixtureOpts(t, nil, store.Options{Chunking: testChunking, PackSize: 256 << 10})
	return &gcFixture{f, grace}
}

func (f *gcFixture) gc(t *testing.T) store.GCStats {
	t.Helper()
	st, err := f.st.GC(context.Background(), f.grace)
	if err != nil {
		t.Fatalf("GC: %v", err)
	}
	return st
}

func (f *fixture) unlink(t *testing.T, repo string, b []byte) {
	t.Helper()
	if err := f.st.Unlink(context.Background(), repo, sha(b)); err != nil {
		t.Fatalf("Unlink: %v", err)
	}
}

// TestGCDeletesWhatNothingReferences: once a blob is unlinked everywhere
// and the grace period has passed, its blob, chunks and packs go, and the
// backend is left with nothing.
func TestGCDeletesWhatNothingReferences(t *testing.T) {
	f := newGCFixture(t, 0)
	b := randomBytes(60, 2<<20)
	f.put(t, "ml/a", b)
	f.put(t, "ml/b", b) // same blob, second repository
	if st := f.gc(t); st.Blobs+st.Chunks+st.Packs != 0 {
		t.Fatalf("GC of a linked blob deleted %+v", st)
	}
	f.unlink(t, "ml/a", b)
	if st := f.gc(t); st.Blobs != 0 {
		t.Fatalf("GC deleted a blob still linked to ml/b: %+v", st)
	}
	f.unlink(t, "ml/b", b)
	st := f.gc(t)
	if st.Blobs != 1 || st.Chunks == 0 || st.Packs == 0 || st.Freed == 0 || st.Dead != 0 {
		t.Fatalf("GC after the last unlink: %+v", st)
	}
	for _, table := range []string{"blobs", "blob_chunks", "chunks", "packs", "gc_unlinked"} {
		if n := f.count(t, table); n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	if objects, size := f.backendBytes(t); objects != 0 {
		t.Errorf("%d objects (%d bytes) left in the backend", objects, size)
	}
	// The bytes can be pushed again and read back.
	f.put(t, "ml/a", b)
	if got, err := f.read(t, "ml/a", sha(b), 0, -1); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after a re-push: %v", err)
	}
}

// TestGCKeepsSharedChunks deletes one of two blobs that share most of
// their chunks: the other must stay whole and readable.
func TestGCKeepsSharedChunks(t *testing.T) {
	f := newGCFixture(t, 0)
	base := randomBytes(61, 3<<20)
	v1 := append(bytes.Clone(base), randomBytes(62, 200<<10)...)
	v2 := append(bytes.Clone(base), randomBytes(63, 200<<10)...)
	f.put(t, "ml/m", v1)
	f.put(t, "ml/m", v2)
	chunksBefore := f.count(t, "chunks")
	f.unlink(t, "ml/m", v1)
	st := f.gc(t)
	if st.Blobs != 1 || st.Chunks == 0 || st.Chunks >= chunksBefore/2 {
		t.Fatalf("GC of v1 (of %d chunks, most shared with v2): %+v", chunksBefore, st)
	}
	// v1's own bytes (its 200 KiB tail and the chunk where the tail
	// begins) are either freed with packs of their own or left dead in a
	// pack that also holds chunks v2 uses; with this data, both happen.
	if st.Dead == 0 || st.Freed == 0 || st.Dead+st.Freed < 150<<10 || st.Dead+st.Freed > 400<<10 {
		t.Fatalf("after GC of v1: %d bytes freed, %d dead; want about 200 KiB in all, some of each", st.Freed, st.Dead)
	}
	if got, err := f.read(t, "ml/m", sha(v2), 0, -1); err != nil || !bytes.Equal(got, v2) {
		t.Fatalf("v2 after GC of v1: %v", err)
	}
	if _, err := f.st.Stat(context.Background(), "ml/m", sha(v1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Stat of v1 after GC: %v, want ErrNotFound", err)
	}
}

// TestGCWaitsForGrace: nothing younger than the grace period is touched,
// and a blob linked again within it is forgotten.
func TestGCWaitsForGrace(t *testing.T) {
	f := newGCFixture(t, time.Hour)
	b := randomBytes(64, 1<<20)
	f.put(t, "ml/a", b)
	f.unlink(t, "ml/a", b)
	st := f.gc(t)
	if st.Noted != 1 || st.Blobs+st.Chunks+st.Packs != 0 {
		t.Fatalf("GC within the grace period: %+v", st)
	}
	f.put(t, "ml/a", b) // linked again
	f.gc(t)
	if n := f.count(t, "gc_unlinked"); n != 0 {
		t.Fatalf("%d blobs still noted as unlinked after a re-push", n)
	}
	if got, err := f.read(t, "ml/a", sha(b), 0, -1); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read: %v", err)
	}
}

// TestGCRacesPushes runs GC in a loop while other goroutines push, unlink
// and push again versions that share chunks. Whatever interleaving
// happens, every push that succeeded must read back whole: GC may make a
// racing push fail, never lose its data.
func TestGCRacesPushes(t *testing.T) {
	testGCRacesPushes(t, newGCFixture(t, 0), false)
}

// TestGCRacesStagedPushesAndCompaction is TestGCRacesPushes with every
// push staged and a compactor running all along: GC, compaction and pushes
// race on the same blobs and chunks.
func TestGCRacesStagedPushesAndCompaction(t *testing.T) {
	f := newFixtureOpts(t, nil, store.Options{Chunking: testChunking, PackSize: 256 << 10, StageMin: 1})
	testGCRacesPushes(t, &gcFixture{f, 0}, true)
}

func testGCRacesPushes(t *testing.T, f *gcFixture, compact bool) {
	base := randomBytes(65, 1<<20)
	versions := make([][]byte, 6)
	for i := range versions {
		versions[i] = append(bytes.Clone(base), randomBytes(uint64(70+i), 64<<10)...)
	}
	ctx := context.Background()
	stop := make(chan struct{})
	var gcErr error
	var gcWG sync.WaitGroup
	gcWG.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := f.st.GC(ctx, f.grace); err != nil {
				gcErr = err
				return
			}
		}
	})
	var compactErr error
	if compact {
		gcWG.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := f.st.Compact(ctx); err != nil {
					compactErr = err
					return
				}
			}
		})
	}
	// Each worker pushes to its own repository, so that what it knows to
	// be linked there is exact; the versions, and so the blobs and chunks,
	// are shared by all.
	const workers = 3
	repos := [workers]string{"ml/race-0", "ml/race-1", "ml/race-2"}
	var live [workers]map[int]bool
	var failed [workers][]error
	var wg sync.WaitGroup
	for w := range workers {
		live[w] = map[int]bool{}
		wg.Go(func() {
			for round := range 8 {
				i := (w + round) % len(versions)
				v := versions[i]
				_, err := f.st.Put(ctx, repos[w], sha(v), int64(len(v)), bytes.NewReader(v))
				if err != nil {
					failed[w] = append(failed[w], err)
				} else {
					live[w][i] = true
				}
				if round%2 == 1 && live[w][i] {
					if err := f.st.Unlink(ctx, repos[w], sha(v)); err != nil {
						failed[w] = append(failed[w], err)
					} else {
						live[w][i] = false
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	gcWG.Wait()
	if gcErr != nil || compactErr != nil {
		t.Fatalf("GC: %v; Compact: %v", gcErr, compactErr)
	}
	n := 0
	for w := range workers {
		n += len(failed[w])
		for _, err := range failed[w] {
			if !errors.Is(err, store.ErrRetry) {
				t.Errorf("a push racing GC failed with %v, want store.ErrRetry", err)
			}
		}
	}
	t.Logf("%d of %d pushes lost a race with GC", n, workers*8)
	for w := range workers {
		for i, ok := range live[w] {
			if !ok {
				continue
			}
			got, err := f.read(t, repos[w], sha(versions[i]), 0, -1)
			if err != nil || !bytes.Equal(got, versions[i]) {
				t.Fatalf("version %d, pushed to %s and not unlinked since: read %v", i, repos[w], err)
			}
		}
	}
	// And once everything is unlinked, GC leaves nothing behind.
	for w := range workers {
		for i, ok := range live[w] {
			if ok {
				f.unlink(t, repos[w], versions[i])
			}
		}
	}
	f.gc(t)
	if n := f.count(t, "chunks"); n != 0 {
		t.Fatalf("%d chunks left after every version was unlinked", n)
	}
	if n := f.count(t, "staged_blobs") + countPrefix(t, f.backend, "staged/"); n != 0 {
		t.Fatalf("%d staged rows and objects left after every version was unlinked", n)
	}
}

// pausingReader returns the first n bytes of b, then waits for release
// before returning the rest; paused is closed when it starts waiting.
type pausingReader struct {
	r       io.Reader
	n       int
	waited  bool
	paused  chan struct{}
	release chan struct{}
}

func newPausingReader(b []byte, n int) *pausingReader {
	return &pausingReader{r: bytes.NewReader(b), n: n, paused: make(chan struct{}), release: make(chan struct{})}
}

func (p *pausingReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		if !p.waited {
			p.waited = true
			close(p.paused)
			<-p.release
		}
		return p.r.Read(b)
	}
	k, err := p.r.Read(b[:min(len(b), p.n)])
	p.n -= k
	return k, err
}

// TestGCDuringPut makes the races deterministic: GC deletes what a paused
// Put had found present, a blob (the Put only verifies the bytes) or the
// chunks of an older version (the Put does not store them again). The Put
// must fail with ErrRetry, record nothing, and succeed when retried.
func TestGCDuringPut(t *testing.T) {
	base := randomBytes(80, 2<<20)
	v1 := append(bytes.Clone(base), randomBytes(81, 100<<10)...)
	v2 := append(bytes.Clone(base), randomBytes(82, 100<<10)...)
	cases := map[string]struct {
		push  []byte // what the paused Put sends
		pause int    // after how many bytes
	}{
		"blob found present":   {v1, len(v1) - 1},
		"chunks found present": {v2, len(base) + 50<<10},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newGCFixture(t, 0)
			f.put(t, "ml/a", v1)
			f.unlink(t, "ml/a", v1)
			r := newPausingReader(c.push, c.pause)
			errc := make(chan error, 1)
			go func() {
				_, err := f.st.Put(context.Background(), "ml/b", sha(c.push), int64(len(c.push)), r)
				errc <- err
			}()
			<-r.paused
			time.Sleep(200 * time.Millisecond) // let the worker look up the chunks read so far
			if st := f.gc(t); st.Blobs != 1 || st.Chunks == 0 {
				t.Fatalf("GC while the Put was paused: %+v", st)
			}
			close(r.release)
			if err := <-errc; !errors.Is(err, store.ErrRetry) {
				t.Fatalf("Put after GC deleted what it relied on: %v, want ErrRetry", err)
			}
			if _, err := f.st.Stat(context.Background(), "ml/b", sha(c.push)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Stat after the failed Put: %v, want ErrNotFound", err)
			}
			f.put(t, "ml/b", c.push) // the retry
			if got, err := f.read(t, "ml/b", sha(c.push), 0, -1); err != nil || !bytes.Equal(got, c.push) {
				t.Fatalf("read after the retry: %v", err)
			}
		})
	}
}
