package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/chunker"
	"github.com/ballastml/ballast/store/local"
)

// small chunking keeps tests fast while still producing many chunks.
var testChunking = chunker.Options{Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}

type fixture struct {
	st      *store.Store
	db      *db.DB
	backend store.Backend
}

// newFixture is a store that chunks every blob inline; inModes runs a test
// in both ways of storing.
func newFixture(t *testing.T, backend store.Backend) *fixture {
	t.Helper()
	return newFixtureOpts(t, backend, store.Options{Chunking: testChunking, PackSize: 1 << 20, StageMin: -1})
}

// inModes runs test in both ways Put stores a blob: chunked before Put
// returns ("inline"), and staged raw for the compactor ("staged", every
// blob but the empty one).
func inModes(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, m := range []struct {
		name     string
		stageMin int64
	}{{"inline", -1}, {"staged", 1}} {
		t.Run(m.name, func(t *testing.T) {
			test(t, newFixtureOpts(t, nil, store.Options{Chunking: testChunking, PackSize: 1 << 20, StageMin: m.stageMin}))
		})
	}
}

// compact runs a compaction pass and returns how many blobs it compacted.
func (f *fixture) compact(t *testing.T) int {
	t.Helper()
	n, _, err := f.st.Compact(context.Background())
	if err != nil {
		t.Fatalf("Compact: %v", err)
	}
	return n
}

// newFixtureOpts is newFixture with the store's options given.
func newFixtureOpts(t *testing.T, backend store.Backend, opts store.Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	d := dbtest.Open(t)
	var err error
	if backend == nil {
		backend, err = local.New(filepath.Join(dir, "objects"))
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.New(backend, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{st: st, db: d, backend: backend}
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sha(b []byte) digest.Digest {
	return digest.NewDigestFromBytes(digest.SHA256, func() []byte { s := sha256.Sum256(b); return s[:] }())
}

func (f *fixture) put(t *testing.T, repo string, b []byte) {
	t.Helper()
	info, err := f.st.Put(context.Background(), repo, sha(b), int64(len(b)), bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(b), err)
	}
	if info.Size != int64(len(b)) || info.Digest != sha(b) {
		t.Fatalf("Put returned %+v", info)
	}
}

func (f *fixture) read(t *testing.T, repo string, d digest.Digest, off, n int64) ([]byte, error) {
	t.Helper()
	rc, err := f.st.Open(context.Background(), repo, d, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// clearQuarantine forgets what reads quarantined.
func (f *fixture) clearQuarantine(t *testing.T) {
	t.Helper()
	if _, err := f.db.Exec(`DELETE FROM bad_chunks`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`UPDATE staged_blobs SET corrupt_at = NULL`); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) backendBytes(t *testing.T) (objects int, size int64) {
	t.Helper()
	err := f.backend.List(context.Background(), "", func(oi store.ObjectInfo) error {
		objects++
		size += oi.Size
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objects, size
}

func TestRoundTrip(t *testing.T) { inModes(t, testRoundTrip) }

func testRoundTrip(t *testing.T, f *fixture) {
	var blobs [][]byte
	for i, n := range []int{0, 1, 3, 100 << 10, 1 << 20, 3<<20 + 17} {
		b := randomBytes(uint64(i), n)
		blobs = append(blobs, b)
		f.put(t, "ml/x", b)
	}
	check := func(when string) {
		for _, b := range blobs {
			got, err := f.read(t, "ml/x", sha(b), 0, -1)
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("%s: size %d: read back %d bytes, err %v", when, len(b), len(got), err)
			}
			info, err := f.st.Stat(context.Background(), "ml/x", sha(b))
			if err != nil || info.Size != int64(len(b)) {
				t.Fatalf("%s: Stat: %+v %v", when, info, err)
			}
		}
	}
	check("after Put")
	f.compact(t)
	check("after Compact")
}

func TestRangeReads(t *testing.T) { inModes(t, testRangeReads) }

func testRangeReads(t *testing.T, f *fixture) {
	b := randomBytes(7, 2<<20+333)
	f.put(t, "ml/x", b)
	checkRanges(t, f, b)
	f.compact(t)
	checkRanges(t, f, b)
}

func checkRanges(t *testing.T, f *fixture, b []byte) {
	t.Helper()
	size := int64(len(b))
	cases := []struct{ off, n int64 }{
		{0, 1}, {0, size}, {1, size - 1}, {size - 1, 1}, {size - 1, -1}, {size, 0},
		{12345, 70000}, {65535, 2}, {1 << 20, 5 << 20}, {500, 0},
		{1<<20 - 1, 2}, {1<<20 - 1, 1<<20 + 2}, {2 << 20, 333}, {2<<20 - 5, 10},
	}
	for _, c := range cases {
		got, err := f.read(t, "ml/x", sha(b), c.off, c.n)
		if err != nil {
			t.Fatalf("range %d+%d: %v", c.off, c.n, err)
		}
		end := size
		if c.n >= 0 && c.off+c.n < size {
			end = c.off + c.n
		}
		if !bytes.Equal(got, b[c.off:end]) {
			t.Fatalf("range %d+%d: got %d bytes, want %d", c.off, c.n, len(got), end-c.off)
		}
	}
	for _, off := range []int64{-1, size + 1} {
		if _, err := f.read(t, "ml/x", sha(b), off, 1); !errors.Is(err, store.ErrInvalidRange) {
			t.Fatalf("offset %d: err %v, want ErrInvalidRange", off, err)
		}
	}
}

func TestBadContentStoresNothing(t *testing.T) { inModes(t, testBadContentStoresNothing) }

func testBadContentStoresNothing(t *testing.T, f *fixture) {
	b := randomBytes(1, 1<<20)
	other := randomBytes(2, 1<<20)
	cases := []struct {
		name string
		d    digest.Digest
		size int64
		body []byte
		want error
	}{
		{"wrong digest", sha(other), int64(len(b)), b, store.ErrDigestMismatch},
		{"short body", sha(b), int64(len(b)), b[:len(b)-1], store.ErrSizeMismatch},
		{"long body", sha(b), int64(len(b)), append(append([]byte{}, b...), 0), store.ErrSizeMismatch},
		{"negative size", sha(b), -1, b, store.ErrSizeMismatch},
		{"bad digest", digest.Digest("sha256:" + strings.Repeat("A", 64)), 1, b, store.ErrInvalidDigest},
		{"md5", digest.Digest("md5:d41d8cd98f00b204e9800998ecf8427e"), 1, b, store.ErrInvalidDigest},
	}
	for _, c := range cases {
		_, err := f.st.Put(context.Background(), "ml/x", c.d, c.size, bytes.NewReader(c.body))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	for _, table := range []string{"blobs", "chunks", "packs", "links", "blob_chunks", "staged_blobs"} {
		if n := f.count(t, table); n != 0 {
			t.Errorf("%s has %d rows after failed puts", table, n)
		}
	}
	if n, _ := f.backendBytes(t); n != 0 {
		t.Errorf("backend holds %d objects after failed puts", n)
	}
	if _, err := f.st.Stat(context.Background(), "ml/x", sha(b)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Stat after failed put: %v", err)
	}
}

// A reader error mid-stream (a client that disconnects) stores nothing.
func TestReaderErrorStoresNothing(t *testing.T) { inModes(t, testReaderErrorStoresNothing) }

func testReaderErrorStoresNothing(t *testing.T, f *fixture) {
	b := randomBytes(3, 4<<20)
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(b[:3<<20]), errReader{boom})
	if _, err := f.st.Put(context.Background(), "ml/x", sha(b), int64(len(b)), r); !errors.Is(err, boom) {
		t.Fatalf("err %v, want %v", err, boom)
	}
	if n, _ := f.backendBytes(t); n != 0 || f.count(t, "blobs") != 0 {
		t.Fatalf("leftovers: %d backend objects, %d blobs", n, f.count(t, "blobs"))
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestLinksArePerRepository(t *testing.T) {
	f := newFixture(t, nil)
	b := randomBytes(4, 500<<10)
	f.put(t, "ml/a", b)
	ctx := context.Background()
	if _, err := f.st.Stat(ctx, "ml/b", sha(b)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("blob visible in a repository it was not pushed to: %v", err)
	}
	if _, err := f.read(t, "ml/b", sha(b), 0, -1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Open in other repo: %v", err)
	}
	if ok, _ := f.st.RepoExists(ctx, "ml/b"); ok {
		t.Fatal("ml/b exists before any push")
	}
	// Claiming the digest without the bytes does not link it (invariant 4).
	wrong := randomBytes(5, len(b))
	if _, err := f.st.Put(ctx, "ml/b", sha(b), int64(len(b)), bytes.NewReader(wrong)); !errors.Is(err, store.ErrDigestMismatch) {
		t.Fatalf("put of wrong bytes under an existing digest: %v", err)
	}
	if _, err := f.st.Stat(ctx, "ml/b", sha(b)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("failed put linked the blob anyway")
	}
	_, before := f.backendBytes(t)
	f.put(t, "ml/b", b)
	_, after := f.backendBytes(t)
	if after != before {
		t.Fatalf("second copy of an existing blob grew the backend from %d to %d bytes", before, after)
	}
	if f.count(t, "blobs") != 1 || f.count(t, "links") != 2 {
		t.Fatalf("blobs=%d links=%d, want 1 and 2", f.count(t, "blobs"), f.count(t, "links"))
	}
	if ok, _ := f.st.RepoExists(ctx, "ml/b"); !ok {
		t.Fatal("ml/b does not exist after a push")
	}
	if repos, err := f.st.LinkedRepos(ctx, sha(b), 10); err != nil || len(repos) != 2 || repos[0] != "ml/a" || repos[1] != "ml/b" {
		t.Fatalf("LinkedRepos = %v, %v; want [ml/a ml/b]", repos, err)
	}
}

// TestChunkDedupAcrossBlobs: once compacted, a staged blob costs what an
// inline one does.
func TestChunkDedupAcrossBlobs(t *testing.T) { inModes(t, testChunkDedupAcrossBlobs) }

func testChunkDedupAcrossBlobs(t *testing.T, f *fixture) {
	base := randomBytes(6, 8<<20)
	f.put(t, "ml/x", base)
	f.compact(t)
	_, one := f.backendBytes(t)
	// A new version: 4 KiB changed in the middle, 1 KiB inserted near the start.
	v2 := append([]byte{}, base[:1000]...)
	v2 = append(v2, randomBytes(8, 1024)...)
	v2 = append(v2, base[1000:]...)
	copy(v2[4<<20:], randomBytes(9, 4096))
	f.put(t, "ml/x", v2)
	f.compact(t)
	_, two := f.backendBytes(t)
	if grew := two - one; grew > int64(len(base))/8 {
		t.Fatalf("a near-identical 8 MiB version added %d bytes; want < 1/8 of its size", grew)
	}
	got, err := f.read(t, "ml/x", sha(v2), 0, -1)
	if err != nil || !bytes.Equal(got, v2) {
		t.Fatalf("read v2: %v", err)
	}
}

func TestConcurrentPutsOfSameBlob(t *testing.T) { inModes(t, testConcurrentPutsOfSameBlob) }

func testConcurrentPutsOfSameBlob(t *testing.T, f *fixture) {
	b := randomBytes(10, 3<<20)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := []string{"ml/a", "ml/b"}[i%2]
			_, err := f.st.Put(context.Background(), repo, sha(b), int64(len(b)), bytes.NewReader(b))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	_, size := f.backendBytes(t)
	if size > int64(len(b))*11/10 {
		t.Fatalf("8 concurrent puts of a %d-byte blob stored %d bytes", len(b), size)
	}
	if f.count(t, "blobs") != 1 {
		t.Fatalf("%d blob rows", f.count(t, "blobs"))
	}
}

func TestCompressibleDataIsCompressed(t *testing.T) {
	f := newFixture(t, nil)
	b := bytes.Repeat([]byte("weights are not always random; "), 100000)
	f.put(t, "ml/x", b)
	if _, size := f.backendBytes(t); size > int64(len(b))/10 {
		t.Fatalf("3 MB of repetitive text stored as %d bytes", size)
	}
	got, err := f.read(t, "ml/x", sha(b), 0, -1)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read: %v", err)
	}
}

// TestMixedDataCompressesWhereItPays alternates random and repetitive
// stretches: the random ones must cost no more than their size, and the
// repetitive ones must still be compressed after the random ones taught
// the store to stop trying.
func TestMixedDataCompressesWhereItPays(t *testing.T) {
	f := newFixture(t, nil)
	text := bytes.Repeat([]byte("layer norm epsilon 1e-5; "), (1<<20)/25)
	var b []byte
	for i := range 3 {
		b = append(b, randomBytes(uint64(40+i), 1<<20)...)
		b = append(b, text...)
	}
	f.put(t, "ml/x", b)
	_, size := f.backendBytes(t)
	if randomPart := int64(3 << 20); size < randomPart || size > randomPart+randomPart/4 {
		t.Fatalf("%d bytes stored for 3 MiB of random and 3 MiB of repetitive data", size)
	}
	got, err := f.read(t, "ml/x", sha(b), 0, -1)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read: %v", err)
	}
}

func TestSHA512(t *testing.T) { inModes(t, testSHA512) }

func testSHA512(t *testing.T, f *fixture) {
	b := randomBytes(11, 200<<10)
	d := digest.SHA512.FromBytes(b)
	if _, err := f.st.Put(context.Background(), "ml/x", d, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	for _, when := range []string{"after Put", "after Compact"} {
		got, err := f.read(t, "ml/x", d, 0, -1)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s: read: %v", when, err)
		}
		f.compact(t)
	}
}

// TestStats: what Put, Open and GC did shows in the counters.
func TestStats(t *testing.T) {
	f := newFixture(t, nil)
	b := randomBytes(90, 700<<10)
	f.put(t, "ml/a", b)
	f.put(t, "ml/b", b) // only linked: not a new blob
	if _, err := f.read(t, "ml/a", sha(b), 100, 1000); err != nil {
		t.Fatal(err)
	}
	st := f.st.Stats()
	if st.BlobsStored != 1 || st.BytesStored != int64(len(b)) || st.PackBytes < int64(len(b)) || st.BytesRead != 1000 {
		t.Fatalf("after one new blob, one link and a 1000-byte read: %+v", st)
	}
	for _, repo := range []string{"ml/a", "ml/b"} {
		if err := f.st.Unlink(context.Background(), repo, sha(b)); err != nil {
			t.Fatal(err)
		}
	}
	gc, err := f.st.GC(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	st = f.st.Stats()
	if st.GCBlobs != 1 || st.GCPacks != int64(gc.Packs) || st.GCBytesFreed != gc.Freed || gc.Freed == 0 {
		t.Fatalf("after GC %+v: %+v", gc, st)
	}
}

func TestUsage(t *testing.T) {
	f := newFixture(t, nil)
	a, b := randomBytes(91, 700<<10), randomBytes(92, 300<<10)
	f.put(t, "ml/a", a)
	f.put(t, "ml/b", a) // the same blob: counted once in the store, in both repositories
	f.put(t, "ml/b", b)
	u, err := f.st.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.Blobs != 2 || u.LogicalBytes != int64(len(a)+len(b)) {
		t.Fatalf("Usage = %+v; want 2 blobs of %d bytes", u, len(a)+len(b))
	}
	// Random bytes do not compress: stored is about logical, plus framing.
	if u.StoredBytes < u.LogicalBytes || u.StoredBytes > u.LogicalBytes+u.LogicalBytes/50 || u.PackBytes < u.StoredBytes-u.StagedBytes {
		t.Fatalf("Usage = %+v: stored and pack bytes do not fit the logical bytes", u)
	}
	repos, err := f.st.ReposUsage(context.Background(), []string{"ml/a", "ml/b", "ml/none"})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.RepoUsage{{"ml/a", 1, int64(len(a))}, {"ml/b", 2, int64(len(a) + len(b))}, {"ml/none", 0, 0}}
	if !slices.Equal(repos, want) {
		t.Fatalf("ReposUsage = %+v, want %+v", repos, want)
	}
}
