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
	corrupt   bool // quarantined (quarantine.go)
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

// stagedUpload is what stage wrote: the object, and the last page of its
// block hashes, which commitStaged records (the full pages before it are
// recorded as they fill).
type stagedUpload struct {
	object   string
	lastPage int64
	sums     []byte
}

// stage stores the stream as a raw object after checking it against d and
// size, with the hashes of its blocks. On any error nothing is left behind
// (the object is deleted or never became visible, its hashes deleted).
//
// Three goroutines share the work: the caller reads blocks from r, the
// hasher computes the digest, and the writer hashes each block and hands
// it to the backend.
func (s *Store) stage(ctx context.Context, d digest.Digest, size int64, r io.Reader) (stagedUpload, error) {
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
	w := &stageWriter{s: s, ctx: ctx, object: name, pipe: pipe,
		in: make(chan *chunkBuf, depth), failed: make(chan struct{}), done: make(chan struct{})}
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
		s.dropStaged(name)
		return stagedUpload{}, err
	}
	return stagedUpload{object: name, lastPage: w.page, sums: w.sums}, nil
}

// readBlocks reads the stream in stagedBlock pieces and hands each to the
// hasher and the writer.
func (s *Store) readBlocks(ctx context.Context, r io.Reader, h *asyncHasher, w *stageWriter) error {
	for {
		blk, err := s.takeBlock(ctx, &s.stageBlocks)
		if err != nil {
			return err
		}
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

// stageWriter hashes blocks, writes them to the staged object and records
// each full page of hashes.
type stageWriter struct {
	s      *Store
	ctx    context.Context
	object string
	in     chan *chunkBuf
	failed chan struct{} // closed when the writer stops on an error
	done   chan struct{}
	pipe   *packPipe
	page   int64  // the page being filled
	sums   []byte // its hashes so far
	err    error
}

func (w *stageWriter) run() {
	defer close(w.done)
	for cb := range w.in {
		if w.err == nil {
			if w.err = w.write(cb.b); w.err != nil {
				close(w.failed)
			}
		}
		cb.release()
	}
}

func (w *stageWriter) write(b []byte) error {
	sum := blockSum(b)
	w.sums = append(w.sums, sum[:]...)
	if int64(len(w.sums)) == sumsPage*sumSize {
		if err := insertSums(w.ctx, w.s.db, w.object, w.page, w.sums); err != nil {
			return err
		}
		w.page, w.sums = w.page+1, w.sums[:0]
	}
	_, err := w.pipe.Write(b)
	return err
}

// execer is a database or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertSums(ctx context.Context, db execer, object string, page int64, sums []byte) error {
	if len(sums) == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx,
		`INSERT INTO staged_sums (object, page, sums, written_at) VALUES (?, ?, ?, ?)`, object, page, sums, time.Now().Unix()); err != nil {
		return fmt.Errorf("store index: staged block hashes: %w", err)
	}
	return nil
}

// commitStaged records a staged blob and links it, in one transaction. Its
// size is already counted in the backlog (reserveStage). If the commit
// fails, the object is deleted. If another Put committed the blob first,
// the object is deleted too, that blob is linked, and the reservation is
// given back.
func (s *Store) commitStaged(ctx context.Context, repo string, info BlobInfo, up stagedUpload) (err error) {
	kept := false
	defer func() {
		if !kept {
			s.dropStaged(up.object)
		}
		s.inflight.remove(up.object)
	}()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	old, err := s.claimBlob(ctx, tx, info, now)
	if errors.Is(err, errStoredMeanwhile) {
		tx.Rollback()
		if err := s.linkExisting(ctx, repo, info.Digest); err != nil {
			return err
		}
		s.unreserveStage(info.Size)
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO staged_blobs (digest, object, block_size, created_at) VALUES (?, ?, ?, ?)`,
		info.Digest.String(), up.object, stagedBlock, now); err != nil {
		return fmt.Errorf("store index: staged blob: %w", err)
	}
	if err := insertSums(ctx, tx, up.object, up.lastPage, up.sums); err != nil {
		return err
	}
	if err := insertLink(ctx, tx, repo, info.Digest, now); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	kept = true
	s.replaced(info.Digest, old, 0)
	s.counters.blobsStored.Add(1)
	s.counters.bytesStored.Add(info.Size)
	s.counters.blobsStaged.Add(1)
	s.notifyLinked(repo, info.Digest)
	s.wakeCompactor()
	return nil
}

// dropStaged deletes a staged object nothing references, and its block
// hashes; a failure is logged and left to the reaper.
func (s *Store) dropStaged(object string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM staged_sums WHERE object = ?`, object); err != nil {
		s.log.Warn("delete staged block hashes; the reaper will retry", "object", object, "err", err)
	}
	s.dropObject(object)
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
	err := s.db.QueryRowContext(ctx,
		`SELECT object, block_size, corrupt_at IS NOT NULL FROM staged_blobs WHERE digest = ?`, d.String()).
		Scan(&st.object, &st.blockSize, &st.corrupt)
	if errors.Is(err, sql.ErrNoRows) {
		return staged{}, false, nil
	}
	if err != nil {
		return staged{}, false, fmt.Errorf("store index: staged blob: %w", err)
	}
	return st, true, nil
}

// stagedSums returns the hashes of the blocks of st from block first to
// the end of its page. If the staged row is gone (the compactor replaced
// it), the error is errStagedGone.
func (s *Store) stagedSums(ctx context.Context, st staged, first int64) ([]byte, error) {
	var sums []byte
	err := s.db.QueryRowContext(ctx,
		`SELECT ss.sums FROM staged_sums ss JOIN staged_blobs sb ON sb.object = ss.object
		 WHERE ss.object = ? AND ss.page = ?`, st.object, first/sumsPage).Scan(&sums)
	if errors.Is(err, sql.ErrNoRows) {
		still, err := s.exists(ctx, `SELECT 1 FROM staged_blobs WHERE object = ?`, st.object)
		if err == nil && !still {
			err = errStagedGone
		}
		return nil, err // nil when the page is missing: the caller reports it
	}
	if err != nil {
		return nil, fmt.Errorf("store index: staged block hashes: %w", err)
	}
	skip := sumSize * (first % sumsPage)
	if int64(len(sums)) < skip {
		return nil, nil
	}
	return sums[skip:], nil
}

// errStagedGone: the staged object went away before a read began, because
// the compactor replaced it with a recipe.
var errStagedGone = errors.New("staged object replaced")

// sumsPage is how many block hashes a staged_sums row holds: the most an
// upload or a reader holds in memory. A variable for tests; a store's
// rows must all be written and read with one value.
var sumsPage int64 = 1024

// produceStaged sends the verified bytes [start, end) of staged blob d,
// which is size bytes long, to emit, a block at a time: each block the
// range touches is read whole and checked. It returns the blob offset it
// got to. If the compactor replaced the staged object meanwhile, the error
// is errStagedGone and the caller goes on from there with the recipe.
func (s *Store) produceStaged(ctx context.Context, d digest.Digest, st staged, size, start, end int64, emit sendFunc) (int64, error) {
	bs := st.blockSize
	first := start / bs
	last := min((end+bs-1)/bs*bs, size) // end of the last block touched
	rc, err := s.backend.ReadRange(ctx, st.object, first*bs, last-first*bs)
	if errors.Is(err, ErrObjectNotExist) {
		// Whoever replaces or deletes a staged object drops its row first:
		// a row that still names it means the object is lost.
		if still, xerr := s.exists(ctx, `SELECT 1 FROM staged_blobs WHERE object = ?`, st.object); xerr == nil && still {
			return start, s.corruptStaged(d, st, first*bs, true, errors.New("staged object is missing"))
		}
		return start, errStagedGone
	}
	if err != nil {
		if ctx.Err() != nil {
			return start, ctx.Err()
		}
		return start, unreadable(d, st.object, err)
	}
	defer rc.Close()
	var sums []byte
	for blk := first; blk*bs < end; blk++ {
		at := max(start, blk*bs)
		if len(sums) == 0 {
			if sums, err = s.stagedSums(ctx, st, blk); err != nil {
				return at, err
			}
		}
		if len(sums) < sumSize {
			return at, s.corruptStaged(d, st, blk*bs, true, errors.New("checksum missing"))
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
			if !s.shorterThan(ctx, st.object, blk*bs+n) {
				return at, unreadable(d, st.object, err) // the connection's fault
			}
			return at, s.corruptStaged(d, st, blk*bs, true, err)
		}
		if blockSum(data) != want {
			s.bufs.Put(bp)
			definite := s.confirmed(ctx, st.object, blk*bs, int(n), func(b []byte) error {
				if blockSum(b) != want {
					return ErrCorrupt
				}
				return nil
			})
			return at, s.corruptStaged(d, st, blk*bs, definite, fmt.Errorf("block %d does not match its checksum", blk))
		}
		*bp = data
		if err := emit(data[at-blk*bs:min(n, end-blk*bs)], bp); err != nil {
			return at, err
		}
	}
	return end, nil
}

// corruptStaged reports a staged object that failed verification at off,
// and quarantines it if the evidence is definite (quarantine.go).
func (s *Store) corruptStaged(d digest.Digest, st staged, off int64, definite bool, err error) error {
	s.counters.corruptChunks.Add(1)
	s.log.Error("corrupt staged object", "blob", d, "object", st.object, "offset", off, "err", err)
	if definite {
		s.quarantineStaged(d, st.object, fmt.Sprintf("byte %d: %v", off, err))
	}
	return fmt.Errorf("%w: blob %s at byte %d: %v", ErrCorrupt, d, off, err)
}

// shorterThan reports whether the backend says object is missing or
// shorter than n bytes: a short read then is the object's own fault, not
// the connection's.
func (s *Store) shorterThan(ctx context.Context, object string, n int64) bool {
	info, err := s.backend.Stat(context.WithoutCancel(ctx), object)
	return errors.Is(err, ErrObjectNotExist) || (err == nil && info.Size < n)
}

func newObjectName(prefix, suffix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	h := hex.EncodeToString(b[:])
	return prefix + h[:2] + "/" + h + suffix
}
