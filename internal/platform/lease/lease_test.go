package lease_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/platform/lease"
	"github.com/ballastml/ballast/internal/testkit/dbtest"
)

func TestOneHolderAtATime(t *testing.T) {
	d := dbtest.Open(t)
	log := slog.New(slog.DiscardHandler)
	a, b := lease.New(d, time.Second, log), lease.New(d, time.Second, log)
	ctx := t.Context()
	if ok, err := a.TryAcquire(ctx, "gc"); !ok || err != nil {
		t.Fatalf("a takes a free lease: %v, %v", ok, err)
	}
	if ok, err := b.TryAcquire(ctx, "gc"); ok || err != nil {
		t.Fatalf("b takes a's live lease: %v, %v", ok, err)
	}
	if ok, _ := b.TryAcquire(ctx, "compactor"); !ok {
		t.Fatal("b cannot take another lease")
	}
	if ok, err := a.TryAcquire(ctx, "gc"); !ok || err != nil {
		t.Fatalf("a renews its lease: %v, %v", ok, err)
	}
	if err := a.Release(ctx, "gc"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.TryAcquire(ctx, "gc"); !ok {
		t.Fatal("b cannot take a released lease")
	}
	time.Sleep(1100 * time.Millisecond) // b's lease expires, unrenewed
	if ok, _ := a.TryAcquire(ctx, "gc"); !ok {
		t.Fatal("a cannot take an expired lease")
	}
}

// TestRunTakesOverFromADeadHolder: of several processes running the same
// job, one runs it at a time; when it stops (its context ends, as when the
// process dies) another takes over within the lease's lifetime and a turn.
func TestRunTakesOverFromADeadHolder(t *testing.T) {
	d := dbtest.Open(t)
	log := slog.New(slog.DiscardHandler)
	const ttl = 600 * time.Millisecond
	var running, maxRunning, starts atomic.Int32
	var holder atomic.Int32 // index of the process running the job
	jobOf := func(i int32) func(context.Context) {
		return func(ctx context.Context) {
			starts.Add(1)
			holder.Store(i)
			n := running.Add(1)
			for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
			}
			<-ctx.Done()
			running.Add(-1)
		}
	}
	var wg sync.WaitGroup
	cancels := make([]context.CancelFunc, 3)
	for i := range cancels {
		ctx, cancel := context.WithCancel(t.Context())
		cancels[i] = cancel
		l := lease.New(d, ttl, log)
		job := jobOf(int32(i))
		wg.Go(func() { l.Run(ctx, "gc", job) })
	}
	waitFor(t, 2*time.Second, func() bool { return running.Load() == 1 })
	for range 2 {
		// Stop the holder: another process takes the job over.
		before := starts.Load()
		cancels[holder.Load()]()
		waitFor(t, 3*ttl, func() bool { return starts.Load() > before && running.Load() == 1 })
	}
	for _, c := range cancels {
		c()
	}
	wg.Wait()
	if m := maxRunning.Load(); m != 1 {
		t.Fatalf("the job ran in %d processes at once", m)
	}
	if n := starts.Load(); n != 3 {
		t.Fatalf("the job started %d times, want 3 (once per holder)", n)
	}
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
