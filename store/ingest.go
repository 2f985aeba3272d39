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

func (r recipe) packNames() []string {
	names := make([]string, len(r.packs))
	for i, p := range r.packs {
		names[i] = p.name
	}
	return names
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
	take := func() (*block, error) { return s.takeBlock(ctx, &s.blocks) }
	ch, err := newBlockCutter(l, s.opts.Chunking, take, &s.chunkBufs)
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

// store compresses c when that saves at least 1/32 of its size, and
// appends it to the current pack. A chunk whose first probeSize bytes do
// not compress is stored raw without compressing the rest.
func (w *chunkWorker) store(id chunkID, c []byte) (chunkLoc, error) {
	bp := w.s.bufs.Get().(*[]byte)
	defer w.s.bufs.Put(bp)
	if len(c) >= 2*probeSize {
		z := w.s.enc.EncodeAll(c[:probeSize], (*bp)[:0])
		*bp = z[:0]
		if !pays(len(z), probeSize) {
			return w.pw.add(id, codecRaw, c, len(c))
		}
	}
	z := w.s.enc.EncodeAll(c, (*bp)[:0])
	*bp = z[:0]
	if pays(len(z), len(c)) {
		return w.pw.add(id, codecZstd, z, len(c))
	}
	return w.pw.add(id, codecRaw, c, len(c))
}

// probeSize is how much of a large chunk is compressed first, to learn
// cheaply whether the whole chunk is worth compressing: on incompressible
// data (random bytes, most quantized weights, already compressed files) a
// failed attempt costs a sixteenth of a full one, cheap enough to make on
// every chunk, so a compressible stretch after an incompressible one is
// never missed.
const probeSize = 64 << 10

// pays reports whether compressing size bytes to z bytes saves at least
// 1/32 of them, the least saving worth a decompression on every read.
func pays(z, size int) bool { return z < size-size/32 }
