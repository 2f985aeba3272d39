package pulllog

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/ballastml/ballast/internal/platform/db"
)

func openDB(t *testing.T) *db.DB {
	t.Helper()
	d := dbtest.Open(t)
	return d
}

func count(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRow(`SELECT COUNT(*) FROM pulls`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func event(i int) PullEvent {
	return PullEvent{Repo: "ml/a", Digest: fmt.Sprintf("sha256:%064x", i), Kind: Blob, Protocol: LFS, User: "alice", TokenID: "t1"}
}

// countingWrites wraps r's write to count transactions and batch sizes.
func countingWrites(r *Recorder) func() []int {
	var mu sync.Mutex
	var sizes []int
	insert := r.write
	r.write = func(ctx context.Context, evs []PullEvent) error {
		err := insert(ctx, evs)
		mu.Lock()
		sizes = append(sizes, len(evs))
		mu.Unlock()
		return err
	}
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), sizes...)
	}
}

func TestRecordBatchesAndCloseFlushes(t *testing.T) {
	d := openDB(t)
	r := newRecorder(d, Options{Interval: time.Hour, MaxBatch: 100})
	writes := countingWrites(r)
	go r.run()
	for i := range 250 {
		r.Record(event(i))
	}
	waitFor(t, func() bool { return len(writes()) == 2 }) // two full batches
	if got := count(t, d); got != 200 {
		t.Fatalf("%d rows before Close, want the two full batches (200)", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, d); got != 250 {
		t.Fatalf("%d rows after Close, want 250", got)
	}
	if w := writes(); len(w) != 3 || w[0] != 100 || w[1] != 100 || w[2] != 50 {
		t.Fatalf("transactions of %v events, want [100 100 50]", w)
	}
	if r.Dropped() != 0 {
		t.Fatalf("dropped %d", r.Dropped())
	}
	r.Record(event(999)) // after Close: dropped, no panic
	if r.Dropped() != 1 || r.Close() != nil {
		t.Fatalf("after Close: dropped %d", r.Dropped())
	}
}

func TestRecordFlushesOnInterval(t *testing.T) {
	d := openDB(t)
	r := New(d, Options{Interval: 10 * time.Millisecond})
	defer r.Close()
	for i := range 3 {
		r.Record(event(i))
	}
	waitFor(t, func() bool { return count(t, d) == 3 })
}

func TestRecordNeverBlocksAndCountsDrops(t *testing.T) {
	d := openDB(t)
	r := newRecorder(d, Options{Buffer: 4, MaxBatch: 1, Interval: time.Hour})
	release := make(chan struct{})
	insert := r.write
	r.write = func(ctx context.Context, evs []PullEvent) error {
		<-release // a stuck database
		return insert(ctx, evs)
	}
	go r.run()
	start := time.Now()
	for i := range 20 {
		r.Record(event(i))
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Record blocked for %v", el)
	}
	// One event is held by the stuck write, four fill the buffer.
	if n := r.Dropped(); n < 15 || n > 16 {
		t.Fatalf("dropped %d of 20 with a buffer of 4, want 15 or 16", n)
	}
	close(release)
	r.Close()
	if got := int64(count(t, d)); got+r.Dropped() != 20 {
		t.Fatalf("%d written + %d dropped != 20", got, r.Dropped())
	}
}

func TestFailedWriteCountsAsDropped(t *testing.T) {
	d := openDB(t)
	r := newRecorder(d, Options{Interval: time.Hour})
	r.write = func(context.Context, []PullEvent) error { return fmt.Errorf("disk on fire") }
	go r.run()
	r.Record(event(1))
	r.Record(event(2))
	r.Close()
	if r.Dropped() != 2 {
		t.Fatalf("dropped %d, want 2", r.Dropped())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out waiting")
}

func TestPrune(t *testing.T) {
	d := openDB(t)
	r := newRecorder(d, Options{})
	now := time.Now()
	var evs []PullEvent
	for i := range 25 {
		ev := event(i)
		ev.Time = now.Add(-time.Duration(i) * time.Hour) // 0 h to 24 h old
		evs = append(evs, ev)
	}
	if err := r.insert(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	n, err := r.Prune(context.Background(), now.Add(-10*time.Hour-time.Minute))
	if err != nil || n != 14 {
		t.Fatalf("Prune of pulls older than 10 h: %d, %v; want the 14 from 11 h to 24 h old", n, err)
	}
	if c := count(t, d); c != 11 {
		t.Fatalf("%d pulls left, want 11", c)
	}
	if n, err := r.Prune(context.Background(), now.Add(-100*time.Hour)); err != nil || n != 0 {
		t.Fatalf("a second Prune deleted %d (%v)", n, err)
	}
}
