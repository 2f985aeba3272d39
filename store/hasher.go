package store

import (
	"hash"
	"sync"
)

// asyncHasher hashes on its own goroutine, so that the blob digest (the
// single most expensive step of ingest) runs on a second core in parallel
// with chunking and compression. Write copies p, so callers may reuse it.
// Memory is bounded by the channel depth times the write size.
type asyncHasher struct {
	h    hash.Hash
	ch   chan *[]byte
	pool sync.Pool
	done chan struct{}
}

const hasherDepth = 8

func newAsyncHasher(h hash.Hash) *asyncHasher {
	a := &asyncHasher{h: h, ch: make(chan *[]byte, hasherDepth), done: make(chan struct{})}
	a.pool.New = func() any { return new([]byte) }
	go a.run()
	return a
}

func (a *asyncHasher) run() {
	defer close(a.done)
	for bp := range a.ch {
		a.h.Write(*bp)
		a.pool.Put(bp)
	}
}

func (a *asyncHasher) Write(p []byte) (int, error) {
	bp := a.pool.Get().(*[]byte)
	*bp = append((*bp)[:0], p...)
	a.ch <- bp
	return len(p), nil
}

// Sum waits for all written bytes to be hashed and returns the hash.
// No Write may follow.
func (a *asyncHasher) Sum() hash.Hash {
	a.stop()
	return a.h
}

// stop ends the goroutine; it is safe to call more than once.
func (a *asyncHasher) stop() {
	select {
	case <-a.done:
		return
	default:
	}
	close(a.ch)
	<-a.done
}
