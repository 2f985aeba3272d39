package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	"github.com/zeebo/blake3"
)

// readAheadBytes is about how many verified bytes a reader keeps ready
// ahead of its consumer, so that verification and the network overlap. It
// bounds memory per open blob (see Store.readAhead).
const readAheadBytes = 8 << 20

// recipePage is how many recipe rows a reader loads at a time.
const recipePage = 256

// Open returns the bytes [offset, offset+length) of blob d as linked in
// repo; length < 0 means to the end. Every chunk is verified against its
// hash before any of its bytes are returned: on a mismatch the reader fails
// with ErrCorrupt (and the corruption is logged) instead of returning them.
// Open returns once the first piece is verified, so corruption there is
// Open's error; a damaged blob (quarantine.go) is ErrDamaged at once.
func (s *Store) Open(ctx context.Context, repo string, d digest.Digest, offset, length int64) (io.ReadCloser, error) {
	info, err := s.Stat(ctx, repo, d)
	if err != nil {
		return nil, err
	}
	if info.Damaged {
		return nil, fmt.Errorf("%w: blob %s", ErrDamaged, d)
	}
	if offset < 0 || offset > info.Size || (offset == info.Size && info.Size > 0 && length != 0) {
		return nil, fmt.Errorf("%w: offset %d of a %d-byte blob", ErrInvalidRange, offset, info.Size)
	}
	end := info.Size
	if length >= 0 && offset+length < end {
		end = offset + length
	}
	r := s.startReader(ctx, func(ctx context.Context, send sendFunc) error {
		return s.produce(ctx, d, info.Size, offset, end, send)
	})
	r.done = s.foreground()
	// Wait for the first verified piece, so that a blob that fails at its
	// start fails here, while a server can still answer with a status,
	// rather than once the response has begun.
	if err := r.next(); err != nil && err != io.EOF {
		r.Close()
		return nil, err
	}
	return r, nil
}

// sendFunc hands one verified piece, in buf, to a reader's consumer.
type sendFunc func(data []byte, buf *[]byte) error

// startReader returns a reader of what produce sends, run on its own
// goroutine with a context the reader's Close cancels.
func (s *Store) startReader(ctx context.Context, produce func(context.Context, sendFunc) error) *blobReader {
	ctx, cancel := context.WithCancel(ctx)
	r := &blobReader{cancel: cancel, ch: make(chan readResult, s.readAhead()), s: s}
	send := func(data []byte, buf *[]byte) error {
		select {
		case r.ch <- readResult{data: data, buf: buf}:
			return nil
		case <-ctx.Done():
			s.bufs.Put(buf)
			return ctx.Err()
		}
	}
	go func() {
		// The producer's error is published by closing the channel, so a
		// stream cut short (cancelled) never looks like a clean EOF.
		r.prodErr = produce(ctx, send)
		close(r.ch)
	}()
	return r
}

// readAhead is the reader's queue length in chunks: readAheadBytes of
// average chunks, at least 4.
func (s *Store) readAhead() int { return max(4, readAheadBytes/s.opts.Chunking.Avg) }

// readResult carries one verified piece of the blob.
type readResult struct {
	data []byte
	buf  *[]byte // pooled buffer backing data, returned after use
}

type blobReader struct {
	s        *Store
	done     func() // ends the reader's foreground activity
	internal bool   // the store's own read, not counted in Stats
	cancel   context.CancelFunc
	ch       chan readResult
	cur      readResult
	err      error

	prodErr error // set by the producer before it closes ch
}

func (r *blobReader) Read(p []byte) (int, error) {
	if err := r.next(); err != nil {
		return 0, err
	}
	n := copy(p, r.cur.data)
	r.consumed(n)
	return n, nil
}

// WriteTo writes the rest of the blob to w, each verified piece with one
// Write, without copying it into the caller's buffer first.
func (r *blobReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := r.next(); err == io.EOF {
			return total, nil
		} else if err != nil {
			return total, err
		}
		n, err := w.Write(r.cur.data)
		r.consumed(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// next makes r.cur hold unread bytes, or returns the reader's final error
// (io.EOF at the end).
func (r *blobReader) next() error {
	for len(r.cur.data) == 0 {
		if r.err != nil {
			return r.err
		}
		r.release()
		res, ok := <-r.ch
		if !ok {
			r.err = io.EOF
			if r.prodErr != nil {
				r.err = r.prodErr
			}
			continue
		}
		r.cur = res
	}
	return nil
}

func (r *blobReader) consumed(n int) {
	r.cur.data = r.cur.data[n:]
	if !r.internal {
		r.s.counters.bytesRead.Add(int64(n))
	}
}

func (r *blobReader) release() {
	if r.cur.buf != nil {
		r.s.bufs.Put(r.cur.buf)
	}
	r.cur = readResult{}
}

// Close stops the producer and releases buffers.
func (r *blobReader) Close() error {
	r.cancel()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	r.release()
	for res := range r.ch {
		if res.buf != nil {
			r.s.bufs.Put(res.buf)
		}
	}
	return nil
}

// maxRun bounds one backend read of chunks that lie next to each other in
// a pack: a blob ingested in one go is one long run per pack, read with a
// few large requests instead of one per chunk.
const maxRun = 8 << 20

// produce sends the verified bytes [start, end) of d, a blob of size
// bytes, and returns nil once all were sent, or the error that
// stopped it. A staged blob is read from its staged object, unless the
// compactor replaced that with a recipe meanwhile.
func (s *Store) produce(ctx context.Context, d digest.Digest, size, start, end int64, send sendFunc) error {
	if start >= end {
		return nil
	}
	st, isStaged, err := s.stagedOf(ctx, d)
	if err != nil {
		return err
	}
	if isStaged {
		if st.corrupt {
			return fmt.Errorf("%w: blob %s", ErrDamaged, d)
		}
		next, err := s.produceStaged(ctx, d, st, size, start, end, send)
		if !errors.Is(err, errStagedGone) {
			return err
		}
		start = next
	}
	emit := func(c recipeChunk, buf *[]byte) error {
		lo, hi := int64(0), int64(c.size)
		if c.blobOffset < start {
			lo = start - c.blobOffset
		}
		if c.blobOffset+hi > end {
			hi = end - c.blobOffset
		}
		return send((*buf)[lo:hi], buf)
	}
	var run []recipeChunk
	runBytes := 0
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		err := s.loadRun(ctx, d, run, emit)
		run, runBytes = run[:0], 0
		return err
	}
	covered := start // the recipe's chunks so far cover [start, covered)
	err = s.walkRecipe(ctx, d, start, end, func(c recipeChunk) error {
		if n := len(run); n > 0 {
			last := run[n-1]
			if c.pack != last.pack || c.offset != last.offset+int64(last.stored) || runBytes+c.stored > maxRun {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if c.blobOffset > covered {
			return fmt.Errorf("%w: blob %s: recipe skips bytes %d to %d", ErrCorrupt, d, covered, c.blobOffset)
		}
		covered = c.blobOffset + int64(c.size)
		run = append(run, c)
		runBytes += c.stored
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil && covered < end {
		// Neither staged nor chunked, or a recipe cut short: never let
		// that pass for a short blob.
		err = fmt.Errorf("%w: blob %s: recipe ends at byte %d of %d", ErrCorrupt, d, covered, end)
	}
	return err
}

// loadRun reads chunks that are contiguous in one pack with one backend
// request, and emits each once it is decompressed and verified.
func (s *Store) loadRun(ctx context.Context, d digest.Digest, run []recipeChunk, emit func(recipeChunk, *[]byte) error) error {
	first, last := run[0], run[len(run)-1]
	rc, err := s.backend.ReadRange(ctx, first.pack, first.offset, last.offset+int64(last.stored)-first.offset)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, ErrObjectNotExist) && !errors.Is(err, ErrInvalidRange) {
			return unreadable(d, first.pack, err)
		}
		// The pack is gone or shorter than its chunks: definite.
		ids := make([]chunkID, len(run))
		for i, c := range run {
			ids[i] = c.id
		}
		s.quarantineChunks(fmt.Sprintf("pack %s: %v", first.pack, err), first.pack, ids...)
		return s.corrupt(d, first, fmt.Errorf("read pack: %w", err))
	}
	defer rc.Close()
	for _, c := range run {
		buf, err := s.readChunk(ctx, d, c, rc)
		if err != nil {
			return err
		}
		if err := emit(c, buf); err != nil {
			return err
		}
	}
	return nil
}

// readChunk reads one chunk's stored bytes from r, decompresses and
// verifies them into a pooled buffer.
func (s *Store) readChunk(ctx context.Context, d digest.Digest, c recipeChunk, r io.Reader) (*[]byte, error) {
	bp := s.bufs.Get().(*[]byte)
	raw, err := readFull(r, *bp, c.stored)
	*bp = raw[:0]
	if err != nil {
		s.bufs.Put(bp)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !s.shorterThan(ctx, c.pack, c.offset+int64(c.stored)) {
			return nil, unreadable(d, c.pack, err) // the connection's fault, not the pack's
		}
		s.quarantineChunks(fmt.Sprintf("pack %s is cut short at byte %d", c.pack, c.offset), c.pack, c.id)
		return nil, s.corrupt(d, c, err)
	}
	data, out, err := s.decodeChunk(raw, c.chunkLoc)
	if err != nil {
		s.bufs.Put(bp)
		if s.confirmed(ctx, c.pack, c.offset, c.stored, s.checkChunk(c.chunkLoc)) {
			s.quarantineChunks(fmt.Sprintf("pack %s at byte %d: %v", c.pack, c.offset, err), c.pack, c.id)
		}
		return nil, s.corrupt(d, c, err)
	}
	if out != nil {
		s.bufs.Put(bp)
		bp = out
	}
	*bp = data
	return bp, nil
}

// decodeChunk decompresses a chunk's stored bytes if need be and checks
// them against its size and id. Decompressed bytes are in out, a pooled
// buffer the caller puts back; out is nil when data is raw itself, and on
// error.
func (s *Store) decodeChunk(raw []byte, c chunkLoc) (data []byte, out *[]byte, err error) {
	data = raw
	if c.codec == codecZstd {
		out = s.bufs.Get().(*[]byte)
		data, err = s.dec.DecodeAll(raw, (*out)[:0])
		*out = data[:0]
		if err != nil {
			s.bufs.Put(out)
			return nil, nil, fmt.Errorf("decompress: %w", err)
		}
	}
	if len(data) != c.size || chunkID(blake3.Sum256(data)) != c.id {
		if out != nil {
			s.bufs.Put(out)
		}
		return nil, nil, fmt.Errorf("chunk %x does not match its hash", c.id[:8])
	}
	return data, out, nil
}

// checkChunk returns a check of a chunk's stored bytes, for confirmed.
func (s *Store) checkChunk(c chunkLoc) func([]byte) error {
	return func(raw []byte) error {
		_, out, err := s.decodeChunk(raw, c)
		if out != nil {
			s.bufs.Put(out)
		}
		return err
	}
}

// readFull reads exactly n bytes into buf (grown if needed).
func readFull(r io.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return buf[:0], fmt.Errorf("short read: %w", err)
	}
	return buf, nil
}

// unreadable is a read of blob d's object that failed for a reason that
// says nothing about the stored bytes (the backend did not answer, or a
// connection broke mid-read): ErrUnavailable, not corruption, so nothing
// is quarantined or counted corrupt and the client is told to retry. An
// error that already says the backend is unavailable keeps its words.
func unreadable(d digest.Digest, object string, err error) error {
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("blob %s: read %s: %w", d, object, err)
	}
	return fmt.Errorf("%w: blob %s: read %s: %v", ErrUnavailable, d, object, err)
}

func (s *Store) corrupt(d digest.Digest, c recipeChunk, err error) error {
	s.counters.corruptChunks.Add(1)
	s.log.Error("corrupt chunk", "blob", d, "pack", c.pack, "offset", c.offset, "chunk", fmt.Sprintf("%x", c.id[:]), "err", err)
	return fmt.Errorf("%w: blob %s at byte %d: %v", ErrCorrupt, d, c.blobOffset, err)
}
