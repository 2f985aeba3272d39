package store

import (
	"context"
	"errors"
	"io"

	"github.com/opencontainers/go-digest"
	"github.com/zeebo/blake3"
)

// recipe is the ordered list of chunks of a blob, with the locations of the
// chunks this Put stored (chunks already in the store have no location).
type recipe struct {
	ids   []chunkID
	sizes []int
	added []chunkLoc
	packs []packInfo
}

// ingestDepthBytes is about how many bytes of cut chunks may wait for the
// chunk worker and the hasher, so the three stages overlap. With the
// chunker's own buffer it bounds ingest memory, whatever the blob size.
const ingestDepthBytes = 4 << 20

// ingestDepth is the worker's and hasher's queue length in chunks.
func (s *Store) ingestDepth() int { return max(4, ingestDepthBytes/s.opts.Chunking.Avg) }

// ingest chunks, dedups, compresses and packs the stream. It is a pipeline
// over three goroutines, so that a Put uses both cores of a small machine:
//
//	hasher:  digest of the whole stream (asyncHasher)
//	caller:  read into blocks, cut chunks (FastCDC) as slices of them
//	worker:  BLAKE3 id, dedup lookup, compression, pack write
//
// On success every pack it wrote is durable and listed in the recipe; on
// failure the packs are deleted and nothing is recorded.
func (s *Store) ingest(ctx context.Context, d digest.Digest, size int64, r io.Reader) (recipe, error) {
	l := &sizeLimiter{r: r, size: size}
	ch, err := newBlockCutter(l, s.opts.Chunking, &s.blocks, &s.chunkBufs)
	if err != nil {
		return recipe{}, err
	}
	defer ch.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := newAsyncHasher(d.Algorithm().Hash(), s.ingestDepth())
	w := s.startChunkWorker(ctx)
	err = s.cut(ctx, ch, h, w)
	sum := h.sum()
	rec, werr := w.finish()
	if err == nil {
		err = werr
	}
	if err == nil {
		err = l.check()
	}
	if err == nil {
		err = checkDigest(d, sum)
	}
	if err == nil {
		rec.packs, err = w.pw.finish()
	}
	if err != nil {
		cancel()
		w.pw.abort(err)
		return recipe{}, err
	}
	return rec, nil
}

// cut hands each chunk of the stream to the hasher and the worker until
// EOF, an error, or the worker failing.
func (s *Store) cut(ctx context.Context, ch *blockCutter, h *asyncHasher, w *chunkWorker) error {
	for {
		cb, err := ch.next(2)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		h.write(cb)
		select {
		case w.in <- cb:
		case <-w.failed:
			cb.release()
			return nil // finish reports the worker's error
		case <-ctx.Done():
			cb.release()
			return ctx.Err()
		}
	}
}

// chunkWorker turns chunks into recipe entries and pack contents, in order.
type chunkWorker struct {
	s      *Store
	ctx    context.Context
	in     chan *chunkBuf
	failed chan struct{} // closed when the worker stops on an error
	done   chan struct{}
	pw     *packWriter
	gate   compressionGate
	seen   map[chunkID]struct{}
	rec    recipe
	err    error
}

func (s *Store) startChunkWorker(ctx context.Context) *chunkWorker {
	w := &chunkWorker{
		s: s, ctx: ctx, pw: newPackWriter(ctx, s),
		in: make(chan *chunkBuf, s.ingestDepth()), failed: make(chan struct{}), done: make(chan struct{}),
		seen: make(map[chunkID]struct{}),
	}
	go w.run()
	return w
}

func (w *chunkWorker) run() {
	defer close(w.done)
	for cb := range w.in {
		if w.err == nil {
			if w.err = w.add(cb.b); w.err != nil {
				close(w.failed)
			}
		}
		cb.release()
	}
}

// finish waits for the worker to drain and returns the recipe.
func (w *chunkWorker) finish() (recipe, error) {
	close(w.in)
	<-w.done
	return w.rec, w.err
}

func (w *chunkWorker) add(c []byte) error {
	id := chunkID(blake3.Sum256(c))
	w.rec.ids = append(w.rec.ids, id)
	w.rec.sizes = append(w.rec.sizes, len(c))
	if _, dup := w.seen[id]; dup {
		return nil
	}
	w.seen[id] = struct{}{}
	known, err := w.s.chunkExists(w.ctx, id)
	if err != nil || known {
		return err
	}
	loc, err := w.store(id, c)
	if err != nil {
		return err
	}
	w.rec.added = append(w.rec.added, loc)
	return nil
}

// store compresses c when the gate says it is worth trying and the result
// saves at least 1/32 of its size, and appends it to the current pack.
func (w *chunkWorker) store(id chunkID, c []byte) (chunkLoc, error) {
	if !w.gate.try() {
		return w.pw.add(id, codecRaw, c, len(c))
	}
	bp := w.s.bufs.Get().(*[]byte)
	defer w.s.bufs.Put(bp)
	z := w.s.enc.EncodeAll(c, (*bp)[:0])
	*bp = z[:0]
	paid := len(z) < len(c)-len(c)/32
	w.gate.record(paid)
	if paid {
		return w.pw.add(id, codecZstd, z, len(c))
	}
	return w.pw.add(id, codecRaw, c, len(c))
}

// compressionGate skips compression attempts on data that keeps proving
// incompressible (random or already compressed bytes), where zstd would
// cost CPU for nothing: after gateMisses chunks in a row that did not
// compress, only one chunk in gateSample is tried, and any chunk that does
// compress resumes trying every chunk.
type compressionGate struct {
	misses  int
	skipped int
}

const (
	gateMisses = 4
	gateSample = 16
)

func (g *compressionGate) try() bool {
	if g.misses < gateMisses {
		return true
	}
	g.skipped++
	if g.skipped >= gateSample {
		g.skipped = 0
		return true
	}
	return false
}

func (g *compressionGate) record(paid bool) {
	if paid {
		g.misses = 0
		return
	}
	g.misses++
}
