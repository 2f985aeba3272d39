package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/memory"
)

// stallingReader returns head, then blocks until release is closed, then
// returns tail (or fails with err if err is set).
type stallingReader struct {
	head, tail []byte
	stalled    chan struct{} // closed once head is read
	release    chan struct{}
	err        error
	sentHead   bool
}

func newStallingReader(b []byte, at int) *stallingReader {
	return &stallingReader{head: b[:at], tail: b[at:], stalled: make(chan struct{}), release: make(chan struct{})}
}

func (r *stallingReader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	if !r.sentHead {
		r.sentHead = true
		close(r.stalled)
	}
	<-r.release
	if r.err != nil {
		return 0, r.err
	}
	if len(r.tail) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.tail)
	r.tail = r.tail[n:]
	return n, nil
}

// putAsync runs a Put on its own goroutine and returns its result channel.
func putAsync(st *store.Store, repo string, b []byte, r io.Reader) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := st.Put(context.Background(), repo, sha(b), int64(len(b)), r)
		done <- err
	}()
	return done
}

// waitPut waits for a Put that must end; a Put that never ends (one
// waiting on a stalled upload of another repository) fails the test.
func waitPut(t *testing.T, done <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still waiting after 30 s", what)
		return nil
	}
}

// A stalled upload of a digest to one repository does not hold up an
// upload of the same digest to another; when the stalled one completes
// after the other committed, it links the committed blob and drops its own
// copy, and one blob is stored.
func TestStalledUploadDoesNotBlockSameDigest(t *testing.T) {
	inModes(t, func(t *testing.T, f *fixture) {
		b := randomBytes(101, 3<<20)
		stalled := newStallingReader(b, 1000)
		slow := putAsync(f.st, "ml/b", b, stalled)
		<-stalled.stalled

		fast := putAsync(f.st, "ml/a", b, bytes.NewReader(b))
		if err := waitPut(t, fast, "Put to ml/a while ml/b's upload of the same digest stalls"); err != nil {
			t.Fatal(err)
		}
		if got, err := f.read(t, "ml/a", sha(b), 0, -1); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("read ml/a: %v", err)
		}

		close(stalled.release)
		if err := waitPut(t, slow, "the stalled Put, released"); err != nil {
			t.Fatalf("the stalled Put, completed after the other committed: %v", err)
		}
		if got, err := f.read(t, "ml/b", sha(b), 0, -1); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("read ml/b: %v", err)
		}
		if n := f.count(t, "blobs"); n != 1 {
			t.Fatalf("%d blobs stored, want 1", n)
		}
		f.compact(t)
		if _, err := f.st.GC(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if n, err := f.st.ReapOrphans(context.Background()); err != nil || n != 0 {
			t.Fatalf("reaped %d orphans (%v): the losing Put left its copy behind", n, err)
		}
		if st := f.st.Stats(); st.StagedBytes != 0 || st.UploadMemory != 0 {
			t.Fatalf("after both Puts: %d staged bytes, %d bytes of upload memory held", st.StagedBytes, st.UploadMemory)
		}
	})
}

// A stalled upload that fails holds nothing up and leaves nothing behind.
func TestStalledUploadThatFailsLeavesNothing(t *testing.T) {
	inModes(t, func(t *testing.T, f *fixture) {
		b := randomBytes(102, 3<<20)
		stalled := newStallingReader(b, 5000)
		stalled.err = errors.New("connection cut off")
		slow := putAsync(f.st, "ml/b", b, stalled)
		<-stalled.stalled
		close(stalled.release)
		if err := waitPut(t, slow, "the failing Put"); err == nil {
			t.Fatal("a Put whose body failed succeeded")
		}
		if n := f.count(t, "blobs"); n != 0 {
			t.Fatalf("%d blobs after a failed Put", n)
		}
		if st := f.st.Stats(); st.StagedBytes != 0 || st.UploadMemory != 0 {
			t.Fatalf("after a failed Put: %d staged bytes, %d bytes of upload memory held", st.StagedBytes, st.UploadMemory)
		}
	})
}

// The buffers of all uploads are bounded together: stalled uploads hold at
// most the budget, an upload that finds no room within the wait fails with
// ErrBusy, and once the stalled ones end, uploads proceed.
func TestUploadMemoryIsBounded(t *testing.T) {
	for _, mode := range []struct {
		name     string
		stageMin int64
	}{{"inline", -1}, {"staged", 1}} {
		t.Run(mode.name, func(t *testing.T) {
			const budget = 4 << 20
			f := newFixtureOpts(t, nil, store.Options{Chunking: testChunking, PackSize: 1 << 20,
				StageMin: mode.stageMin, UploadMemory: budget, UploadMemoryWait: 300 * time.Millisecond})
			var stalls []*stallingReader
			var results []<-chan error
			busy := 0
			for i := range 12 {
				b := randomBytes(uint64(200+i), 3<<20)
				r := newStallingReader(b, 100)
				done := putAsync(f.st, "ml/x", b, r)
				select {
				case <-r.stalled:
					stalls = append(stalls, r)
					results = append(results, done)
				case err := <-done:
					if !errors.Is(err, store.ErrBusy) {
						t.Fatalf("upload %d: %v; want ErrBusy once the budget is held", i, err)
					}
					busy++
				}
				if used := f.st.Stats().UploadMemory; used > budget {
					t.Fatalf("upload memory %d exceeds the budget %d", used, budget)
				}
			}
			if busy == 0 {
				t.Fatalf("12 stalled uploads fit in a budget of %d bytes", budget)
			}
			for i, r := range stalls {
				r.err = errors.New("cut off")
				close(r.release)
				if err := waitPut(t, results[i], "a released stalled upload"); err == nil {
					t.Fatal("a failed upload succeeded")
				}
			}
			if used := f.st.Stats().UploadMemory; used != 0 {
				t.Fatalf("%d bytes of upload memory held after every upload ended", used)
			}
			f.put(t, "ml/x", randomBytes(300, 3<<20))
		})
	}
}

// A chunk that fails verification is quarantined: every blob using it, in
// every repository, reports itself damaged and refuses reads; an upload of
// any of them writes a fresh copy of the chunk (ingest does not count the
// bad one as present), which heals all of them.
func TestCorruptChunkIsQuarantinedAndHealed(t *testing.T) {
	fb := faulty.Wrap(memory.New())
	f := newFixture(t, fb)
	x := randomBytes(110, 600<<10)
	z := append(append([]byte{}, x...), randomBytes(111, 300<<10)...) // shares x's first chunks
	f.put(t, "ml/a", x)
	f.put(t, "ml/b", x)
	pack := onePack(t, fb)
	f.put(t, "ml/c", z)

	fb.CorruptReads(pack.Name, 10) // the first chunk of x, and of z
	if _, err := f.read(t, "ml/a", sha(x), 0, -1); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("read of a corrupt chunk: %v", err)
	}
	for _, c := range []struct {
		repo string
		b    []byte
	}{{"ml/a", x}, {"ml/b", x}, {"ml/c", z}} {
		info, err := f.st.Stat(context.Background(), c.repo, sha(c.b))
		if err != nil || !info.Damaged {
			t.Fatalf("Stat %s after the corrupt read: %+v, %v; want Damaged", c.repo, info, err)
		}
		if _, err := f.read(t, c.repo, sha(c.b), 0, -1); !errors.Is(err, store.ErrDamaged) {
			t.Fatalf("read %s: %v; want ErrDamaged", c.repo, err)
		}
	}
	dm, err := f.st.Damage(context.Background())
	if err != nil || dm.Chunks != 1 || dm.DamagedBlobs != 2 {
		t.Fatalf("Damage() = %+v, %v; want 1 chunk, 2 blobs", dm, err)
	}

	// The repair: x uploaded again to ml/b. The bad pack still reads
	// corrupt, so only a fresh copy of the chunk can make reads pass.
	f.put(t, "ml/b", x)
	for _, c := range []struct {
		repo string
		b    []byte
	}{{"ml/a", x}, {"ml/b", x}, {"ml/c", z}} {
		if info, err := f.st.Stat(context.Background(), c.repo, sha(c.b)); err != nil || info.Damaged {
			t.Fatalf("Stat %s after the repair: %+v, %v", c.repo, info, err)
		}
		if got, err := f.read(t, c.repo, sha(c.b), 0, -1); err != nil || !bytes.Equal(got, c.b) {
			t.Fatalf("read %s after the repair: %v", c.repo, err)
		}
	}
	if dm, err := f.st.Damage(context.Background()); err != nil || dm != (store.Damage{}) {
		t.Fatalf("Damage() after the repair = %+v, %v", dm, err)
	}
	if st := f.st.Stats(); st.Quarantined != 1 || st.Healed != 1 {
		t.Fatalf("Stats: %d quarantined, %d healed; want 1 and 1", st.Quarantined, st.Healed)
	}
}

// A read that sees a corrupt chunk once, but verifies on a second read,
// was a flipped bit on the way: the read fails, nothing is quarantined.
func TestTransientCorruptionIsNotQuarantined(t *testing.T) {
	fb := faulty.Wrap(memory.New())
	f := newFixture(t, fb)
	x := randomBytes(112, 600<<10)
	f.put(t, "ml/a", x)
	pack := onePack(t, fb)
	fb.CorruptNextRead(pack.Name, 10)
	if _, err := f.read(t, "ml/a", sha(x), 0, -1); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("read with a flipped bit: %v", err)
	}
	if info, err := f.st.Stat(context.Background(), "ml/a", sha(x)); err != nil || info.Damaged {
		t.Fatalf("Stat after a transient corruption: %+v, %v", info, err)
	}
	if got, err := f.read(t, "ml/a", sha(x), 0, -1); err != nil || !bytes.Equal(got, x) {
		t.Fatalf("second read: %v", err)
	}
}

// A staged upload that contains a quarantined chunk heals it when it is
// compacted: the compactor writes the chunk afresh, as an inline Put would.
func TestCompactionHealsQuarantinedChunks(t *testing.T) {
	fb := faulty.Wrap(memory.New())
	f := newFixtureOpts(t, fb, store.Options{Chunking: testChunking, PackSize: 1 << 20, StageMin: 1})
	x := randomBytes(120, 600<<10)
	f.put(t, "ml/a", x)
	if n := f.compact(t); n != 1 {
		t.Fatalf("compacted %d blobs, want 1", n)
	}
	pack := onePack(t, fb)
	fb.CorruptReads(pack.Name, 10)
	if _, err := f.read(t, "ml/a", sha(x), 0, -1); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("read of a corrupt chunk: %v", err)
	}
	z := append(append([]byte{}, x...), randomBytes(121, 300<<10)...)
	f.put(t, "ml/b", z) // staged: it holds the bad chunk's bytes raw
	if info, err := f.st.Stat(context.Background(), "ml/a", sha(x)); err != nil || !info.Damaged {
		t.Fatalf("before compaction: %+v, %v; want x still damaged", info, err)
	}
	if n := f.compact(t); n != 1 {
		t.Fatalf("compacted %d blobs, want 1", n)
	}
	if got, err := f.read(t, "ml/a", sha(x), 0, -1); err != nil || !bytes.Equal(got, x) {
		t.Fatalf("x after the compaction that healed its chunk: %v", err)
	}
	if st := f.st.Stats(); st.Healed != 1 {
		t.Fatalf("Stats().Healed = %d, want 1", st.Healed)
	}
}
