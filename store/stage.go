package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/zeebo/blake3"

	"github.com/ballastml/ballast/store/chunker"
)

// Staging. Cutting, naming (BLAKE3), looking up and compressing chunks
// costs about as much CPU again as the sha256 that every upload needs, and
// on a small machine that decides how fast a push is. So a large upload is
// first stored as it arrives: one raw backend object, checksummed per
// block with BLAKE3, committed once its sha256 and size check out. It is
// readable from then on. The compactor (compact.go) later chunks,
// deduplicates and packs it, and swaps the staged object for a recipe in
// one transaction.
//
// Verification is the same as for an inline Put: nothing is visible unless
// the digest and size match, and every byte read is checked (a block
// against its hash, before any of its bytes are returned).

const (
	stagedPrefix = "staged/"
	// stagedBlock is the span of one checksum: reads are verified a block
	// at a time, and a ranged read reads the blocks it touches.
	stagedBlock = 1 << 20
	// DefaultStageMin is the size from which uploads are staged; smaller
	// blobs (manifests, configs, tokenizers) are chunked inline, which
	// costs them little.
	DefaultStageMin = 8 << 20
	// DefaultStageBacklog bounds the bytes waiting in staged objects; past
	// it, uploads are chunked inline until the compactor catches up.
	DefaultStageBacklog = 8 << 30
)

// sumSize is the size of a block's checksum: its BLAKE3-256. A CRC would
// cost less (a push of 1 GiB took 0.96 s instead of 1.16 s here), but it
// catches only accidents; with a cryptographic hash kept in the metadata
// database, a staged read is as trustworthy as a chunked one, whatever
// the backend serves.
const sumSize = 32

func blockSum(b []byte) [sumSize]byte { return blake3.Sum256(b) }

// staged is a staged blob's row.
type staged struct {
	object    string
	blockSize int64
	created   time.Time
}

// reserveStage reports whether an upload of size bytes is staged, and if
// so counts it in the backlog at once, so that concurrent uploads cannot
// overshoot the bound together. An upload that then fails gives its
// reservation back (unreserveStage).
func (s *Store) reserveStage(size int64) bool {
	if s.opts.StageMin <= 0 || size < s.opts.StageMin {
		return false
	}
	for {
		cur := s.stagedBytes.Load()
		if cur+size > s.opts.StageBacklog {
			return false
		}
		if s.stagedBytes.CompareAndSwap(cur, cur+size) {
			return true
		}
	}
}

func (s *Store) unreserveStage(size int64) { s.stagedBytes.Add(-size) }

// stage stores the stream as a raw object after checking it against d and
// size, and returns the object's name and block checksums. On any error
// nothing is left behind (the object is deleted or never became visible).
//
// Three goroutines share the work: the caller reads blocks from r, the
// hasher computes the digest, and the writer checksums each block and
// hands it to the backend.
func (s *Store) stage(ctx context.Context, d digest.Digest, size int64, r io.Reader) (string, []byte, error) {
	name := newObjectName(stagedPrefix, ".raw")
	s.inflight.add(name)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pipe := newPackPipe()
	stored := make(chan error, 1)
	go func() {
		err := s.backend.Put(ctx, name, pipe)
		pipe.closeRead(err)
		stored <- err
	}()
	l := &sizeLimiter{r: r, size: size}
	depth := max(4, ingestDepthBytes/stagedBlock)
	h := newAsyncHasher(d.Algorithm().Hash(), depth)
	// The checksums grow with the bytes received, never with the size a
	// client claims.
	w := &stageWriter{in: make(chan *chunkBuf, depth), failed: make(chan struct{}), done: make(chan struct{}), pipe: pipe}
	go w.run()

	err := s.readBlocks(ctx, l, h, w)
	sum := h.sum()
	close(w.in)
	<-w.done
	if err == nil {
		err = w.err
	}
	if err == nil {
		err = l.check()
	}
	if err == nil {
		err = checkDigest(d, sum)
	}
	pipe.closeWrite(err) // an error here keeps the object from becoming visible
	if perr := <-stored; err == nil && perr != nil {
		err = fmt.Errorf("store staged object: %w", perr)
	}
	if err != nil {
		s.dropObject(name)
		return "", nil, err
	}
	return name, w.sums, nil
}

// readBlocks reads the stream in stagedBlock pieces and hands each to the
// hasher and the writer.
func (s *Store) readBlocks(ctx context.Context, r io.Reader, h *asyncHasher, w *stageWriter) error {
	for {
		blk := s.stageBlocks.Get().(*block)
		blk.refs.Store(1)
		n, eof, err := chunker.Fill(r, blk.buf, len(blk.buf))
		if err != nil || n == 0 {
			blk.release()
			return err
		}
		cb := s.chunkBufs.Get().(*chunkBuf)
		cb.b, cb.blk = blk.buf[:n], blk
		cb.refs.Store(2)
		h.write(cb)
		select {
		case w.in <- cb:
		case <-w.failed:
			cb.release()
			return nil // the caller reports the writer's error
		case <-ctx.Done():
			cb.release()
			return ctx.Err()
		}
		if eof {
			return nil
		}
	}
}

// stageWriter checksums blocks and writes them to the staged object.
type stageWriter struct {
	in     chan *chunkBuf
	failed chan struct{} // closed when the writer stops on an error
	done   chan struct{}
	pipe   *packPipe
	sums   []byte
	err    error
}

func (w *stageWriter) run() {
	defer close(w.done)
	for cb := range w.in {
		if w.err == nil {
			sum := blockSum(cb.b)
			w.sums = append(w.sums, sum[:]...)
			if _, w.err = w.pipe.Write(cb.b); w.err != nil {
				close(w.failed)
			}
		}
		cb.release()
	}
}

// commitStaged records a staged blob and links it, in one transaction. Its
// size is already counted in the backlog (reserveStage). If the commit
// fails, the object is deleted.
func (s *Store) commitStaged(ctx context.Context, repo string, info BlobInfo, object string, sums []byte) (err error) {
	defer func() {
		if err != nil {
			s.dropObject(object)
		}
		s.inflight.remove(object)
	}()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?)`, info.Digest.String(), info.Size, now); err != nil {
		return fmt.Errorf("store index: blob: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO staged_blobs (digest, object, block_size, sums, created_at) VALUES (?, ?, ?, ?, ?)`,
		info.Digest.String(), object, stagedBlock, sums, now); err != nil {
		return fmt.Errorf("store index: staged blob: %w", err)
	}
	if err := insertLink(ctx, tx, repo, info.Digest, now); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.counters.blobsStored.Add(1)
	s.counters.bytesStored.Add(info.Size)
	s.counters.blobsStaged.Add(1)
	s.notifyLinked(repo, info.Digest)
	s.wakeCompactor()
	return nil
}

// dropObject deletes an object nothing references; a failure is logged and
// left to the reaper.
func (s *Store) dropObject(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.backend.Delete(ctx, name); err != nil {
		s.log.Warn("delete unreferenced object; the reaper will retry", "object", name, "err", err)
	}
	s.inflight.remove(name)
}

// stagedOf returns the staged row of d, if d is staged.
func (s *Store) stagedOf(ctx context.Context, d digest.Digest) (staged, bool, error) {
	var st staged
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT object, block_size, created_at FROM staged_blobs WHERE digest = ?`, d.String()).
		Scan(&st.object, &st.blockSize, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return staged{}, false, nil
	}
	if err != nil {
		return staged{}, false, fmt.Errorf("store index: staged blob: %w", err)
	}
	st.created = time.Unix(created, 0)
	return st, true, nil
}

// stagedSums returns the checksums of blocks [first, first+n) of d.
func (s *Store) stagedSums(ctx context.Context, d digest.Digest, first, n int64) ([]byte, error) {
	var sums []byte
	err := s.db.QueryRowContext(ctx,
		`SELECT substr(sums, ?, ?) FROM staged_blobs WHERE digest = ?`, sumSize*first+1, sumSize*n, d.String()).Scan(&sums)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errStagedGone
	}
	if err != nil {
		return nil, fmt.Errorf("store index: staged checksums: %w", err)
	}
	return sums, nil
}

// errStagedGone: the staged object went away before a read began, because
// the compactor replaced it with a recipe.
var errStagedGone = errors.New("staged object replaced")

// sumsPage is how many block checksums a staged reader loads at a time.
const sumsPage = 1024

// produceStaged sends the verified bytes [start, end) of staged blob d,
// which is size bytes long, to emit, a block at a time: each block the
// range touches is read whole and checked. It returns the blob offset it
// got to. If the compactor replaced the staged object meanwhile, the error
// is errStagedGone and the caller goes on from there with the recipe.
func (s *Store) produceStaged(ctx context.Context, d digest.Digest, st staged, size, start, end int64, emit func(data []byte, buf *[]byte) error) (int64, error) {
	bs := st.blockSize
	first := start / bs
	last := min((end+bs-1)/bs*bs, size) // end of the last block touched
	rc, err := s.backend.ReadRange(ctx, st.object, first*bs, last-first*bs)
	if errors.Is(err, ErrObjectNotExist) {
		return start, errStagedGone
	}
	if err != nil {
		if ctx.Err() != nil {
			return start, ctx.Err()
		}
		return start, s.corruptStaged(d, st, first*bs, fmt.Errorf("read staged object: %w", err))
	}
	defer rc.Close()
	var sums []byte
	for blk := first; blk*bs < end; blk++ {
		at := max(start, blk*bs)
		if len(sums) == 0 {
			if sums, err = s.stagedSums(ctx, d, blk, sumsPage); err != nil {
				return at, err
			}
		}
		if len(sums) < sumSize {
			return at, s.corruptStaged(d, st, blk*bs, errors.New("checksum missing"))
		}
		want := [sumSize]byte(sums[:sumSize])
		sums = sums[sumSize:]
		n := min(bs, size-blk*bs) // the last block may be short
		bp := s.bufs.Get().(*[]byte)
		data, err := readFull(rc, *bp, int(n))
		*bp = data[:0]
		if err != nil {
			s.bufs.Put(bp)
			if ctx.Err() != nil {
				return at, ctx.Err()
			}
			return at, s.corruptStaged(d, st, blk*bs, err)
		}
		if blockSum(data) != want {
			s.bufs.Put(bp)
			return at, s.corruptStaged(d, st, blk*bs, fmt.Errorf("block %d does not match its checksum", blk))
		}
		*bp = data
		if err := emit(data[at-blk*bs:min(n, end-blk*bs)], bp); err != nil {
			return at, err
		}
	}
	return end, nil
}

func (s *Store) corruptStaged(d digest.Digest, st staged, off int64, err error) error {
	s.counters.corruptChunks.Add(1)
	s.log.Error("corrupt staged object", "blob", d, "object", st.object, "offset", off, "err", err)
	return fmt.Errorf("%w: blob %s at byte %d: %v", ErrCorrupt, d, off, err)
}

func newObjectName(prefix, suffix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	h := hex.EncodeToString(b[:])
	return prefix + h[:2] + "/" + h + suffix
}
