package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// memBudget bounds the bytes of the buffers that uploads hold at once,
// across all uploads: a block of an incoming stream is taken only once the
// budget has room for it, and given back when the block is released. So a
// thousand uploads that stall halfway hold at most the budget, not a
// thousand times a block, and uploads beyond it wait for room
// (backpressure) instead of growing the server.
//
// The wait is bounded: an upload that cannot get a block in time fails with
// ErrBusy (503 with Retry-After), so that uploads each holding part of the
// budget and waiting for more can never wait on each other for ever.
type memBudget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
	used atomic.Int64
}

// DefaultUploadMemory is the default budget of upload buffers: room for
// about 40 staged uploads (6 MiB each) or 10 inline ones (24 MiB) to run at
// full speed at once; more wait their turn.
const DefaultUploadMemory = 256 << 20

// DefaultUploadMemoryWait is how long an upload waits for buffer room
// before it fails with ErrBusy.
const DefaultUploadMemoryWait = time.Minute

func newMemBudget(size int64, wait time.Duration) *memBudget {
	return &memBudget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// acquire takes n bytes of the budget, waiting for them at most the
// budget's wait.
func (m *memBudget) acquire(ctx context.Context, n int64) error {
	if n > m.size {
		return fmt.Errorf("store: a buffer of %d bytes exceeds the upload memory of %d", n, m.size)
	}
	if !m.sem.TryAcquire(n) {
		wctx, cancel := context.WithTimeout(ctx, m.wait)
		defer cancel()
		if err := m.sem.Acquire(wctx, n); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: no upload buffer freed within %s", ErrBusy, m.wait)
		}
	}
	m.used.Add(n)
	return nil
}

func (m *memBudget) release(n int64) {
	m.used.Add(-n)
	m.sem.Release(n)
}

func (m *memBudget) inUse() int64 { return m.used.Load() }
