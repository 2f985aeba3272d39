package store

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/ballastml/ballast/store/chunker"
)

// block is a buffer of the incoming stream. The chunks cut from it are
// slices of it, so a chunk's bytes are never copied between the socket and
// the pack: the hasher and the chunk worker read them where they were
// received. A block goes back to its pool when the cutter has moved on
// and every chunk cut from it has been released.
type block struct {
	buf  []byte
	refs atomic.Int32
	pool *sync.Pool
	mem  *memBudget // the budget it was taken from, if any
}

func (b *block) release() {
	if b.refs.Add(-1) == 0 {
		if b.mem != nil {
			b.mem.release(int64(len(b.buf)))
			b.mem = nil
		}
		b.pool.Put(b)
	}
}

// takeFunc returns a block with one reference, or why there is none.
type takeFunc func() (*block, error)

// takeBlock takes a block from pool once the upload memory budget has
// room for it; its release gives the room back.
func (s *Store) takeBlock(ctx context.Context, pool *sync.Pool) (*block, error) {
	b := pool.Get().(*block)
	if err := s.mem.acquire(ctx, int64(len(b.buf))); err != nil {
		pool.Put(b)
		return nil, err
	}
	b.mem = s.mem
	b.refs.Store(1)
	return b, nil
}

// fromPool takes blocks from pool with no budget.
func fromPool(pool *sync.Pool) takeFunc {
	return func() (*block, error) {
		b := pool.Get().(*block)
		b.refs.Store(1)
		return b, nil
	}
}

// chunkBuf is one cut chunk, shared by the hasher and the chunk worker;
// when both released it, it releases its block and returns to its pool.
type chunkBuf struct {
	b    []byte
	blk  *block
	refs atomic.Int32
	pool *sync.Pool
}

func (c *chunkBuf) release() {
	if c.refs.Add(-1) == 0 {
		c.blk.release()
		c.b, c.blk = nil, nil
		c.pool.Put(c)
	}
}

// blockSize is the size of a block for the given chunk sizes: room for two
// of the largest chunks, so that at most the unfinished chunk at the end
// of a block (half an average chunk, typically) is copied to the next one.
func blockSize(o chunker.Options) int { return 2 * o.Max }

// blockCutter reads a stream into blocks and cuts it into content-defined
// chunks with the chunker's algorithm. Only the start of a chunk that
// straddles two blocks is copied.
type blockCutter struct {
	r      io.Reader
	cut    chunker.Cutter
	take   takeFunc
	chunks *sync.Pool
	blk    *block // the block being cut; the cutter holds one reference
	start  int    // first byte of blk not yet cut
	end    int    // end of the bytes read into blk
	eof    bool
}

// newBlockCutter returns a cutter of r taking blocks of blockSize(o)
// bytes from take and chunk buffers from chunks.
func newBlockCutter(r io.Reader, o chunker.Options, take takeFunc, chunks *sync.Pool) (*blockCutter, error) {
	cut, err := chunker.NewCutter(o)
	if err != nil {
		return nil, err
	}
	c := &blockCutter{r: r, cut: cut, take: take, chunks: chunks}
	if c.blk, err = take(); err != nil {
		return nil, err
	}
	return c, nil
}

// next returns the next chunk with a reference count of refs; the caller
// hands it to its consumers, each of which releases it once. After the
// last chunk it returns nil, io.EOF. A read error is returned as is.
func (c *blockCutter) next(refs int32) (*chunkBuf, error) {
	maxSize := c.cut.Options().Max
	for {
		if c.start == len(c.blk.buf) {
			if err := c.carry(); err != nil { // every byte of the block is cut
				return nil, err
			}
		}
		if err := c.fill(maxSize); err != nil {
			return nil, err
		}
		data := c.blk.buf[c.start:c.end]
		if len(data) == 0 {
			return nil, io.EOF
		}
		if n, ok := c.cut.Cut(data, c.eof); ok {
			c.start += n
			c.blk.refs.Add(1)
			cb := c.chunks.Get().(*chunkBuf)
			cb.b, cb.blk = data[:n:n], c.blk
			cb.refs.Store(refs)
			return cb, nil
		}
		if err := c.carry(); err != nil { // the block is full and its tail holds no boundary yet
			return nil, err
		}
	}
}

// carry moves on to a new block, copying the uncut tail of the current one.
func (c *blockCutter) carry() error {
	next, err := c.take()
	if err != nil {
		return err
	}
	c.end = copy(next.buf, c.blk.buf[c.start:c.end])
	c.start = 0
	c.blk.release()
	c.blk = next
	return nil
}

// fill reads until the uncut bytes are at least maxSize, the block is
// full or the stream ended, so that Cut is never asked about a window it
// could have seen more of, and nothing is scanned twice but a carried tail.
func (c *blockCutter) fill(maxSize int) error {
	if c.eof || c.end-c.start >= maxSize {
		return nil
	}
	n, eof, err := chunker.Fill(c.r, c.blk.buf[c.end:], maxSize-(c.end-c.start))
	c.end += n
	c.eof = eof
	return err
}

// close releases the cutter's block. Chunks already handed out stay valid
// until they are released.
func (c *blockCutter) close() {
	if c.blk != nil {
		c.blk.release()
		c.blk = nil
	}
}
