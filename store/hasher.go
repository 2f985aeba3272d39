package store

import (
	"hash"
	"sync"
)

// asyncHasher hashes chunks on its own goroutine, so that the blob digest
// (the most expensive step of ingest) runs on a second core in parallel
// with chunking and compression. Chunks arrive in stream order, so the
// result is the digest of the stream.
type asyncHasher struct {
	h    hash.Hash
	ch   chan *chunkBuf
	done chan struct{}
	once sync.Once
}

func newAsyncHasher(h hash.Hash, depth int) *asyncHasher {
	a := &asyncHasher{h: h, ch: make(chan *chunkBuf, depth), done: make(chan struct{})}
	go a.run()
	return a
}

func (a *asyncHasher) run() {
	defer close(a.done)
	for c := range a.ch {
		a.h.Write(c.b)
		c.release()
	}
}

// write queues c for hashing; the hasher releases it.
func (a *asyncHasher) write(c *chunkBuf) { a.ch <- c }

// sum waits for all queued chunks to be hashed and returns the hash. No
// write may follow. It is safe to call more than once.
func (a *asyncHasher) sum() hash.Hash {
	a.once.Do(func() { close(a.ch) })
	<-a.done
	return a.h
}
