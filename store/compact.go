package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/db"
)

// The compactor turns staged blobs (stage.go) into chunked, deduplicated,
// compressed ones. It runs in the background and gives way to transfers:
// while an upload or a download is running it pauses between reads, so
// that it uses the CPU uploads leave idle, unless the staged backlog is
// full, someone is waiting for a Compact, or it has waited five minutes
// for the blob at hand, when it stops waiting. In the
// background it also waits for the store to have been idle for
// compactQuiet, so that it does not start in the last requests of a push
// (the client's verify calls, the next object).

const (
	// yieldPoll is how often a paused compaction looks whether the store is idle.
	yieldPoll = 50 * time.Millisecond
	// compactQuiet is how long the store must have had no transfer before
	// the background compactor starts or resumes.
	compactQuiet = time.Second
)

// compactMaxPause bounds how long the compaction of one blob gives way to
// transfers in all; after that it goes on alongside them, so a server that
// is never idle (a download that lasts an hour, a steady trickle of pulls)
// still gets its staged blobs compacted. A variable for tests.
var compactMaxPause = 5 * time.Minute

// foreground marks a transfer (a Put, an upload piece, an open reader) as
// running until the returned func is called.
func (s *Store) foreground() func() {
	s.active.Add(1)
	return func() {
		s.lastTransfer.Store(time.Now().UnixNano())
		s.active.Add(-1)
	}
}

// busy reports whether the compactor should wait: a transfer is running,
// or one ended less than quiet ago.
func (s *Store) busy(quiet time.Duration) bool {
	if s.active.Load() > 0 {
		return true
	}
	return quiet > 0 && time.Since(time.Unix(0, s.lastTransfer.Load())) < quiet
}

// wakeCompactor tells RunCompactor that there is work.
func (s *Store) wakeCompactor() {
	select {
	case s.compactWake <- struct{}{}:
	default:
	}
}

// RunCompactor compacts staged blobs as they are committed, and retries
// what failed every minute, until ctx is cancelled.
func (s *Store) RunCompactor(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, _, err := s.compact(ctx, compactQuiet); err != nil && ctx.Err() == nil {
			s.log.Warn("compact staged blobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.compactWake:
		case <-t.C:
		}
	}
}

// Compact chunks every staged blob now, oldest first, without giving way
// to transfers, and returns how many it compacted and their size. If the
// background compactor is pausing for a transfer, it stops pausing, and
// Compact waits for it to finish its blob. A blob whose staged copy is
// corrupt is logged and skipped (it stays readable up to the bad block,
// and reads of the bad block fail); an error that may pass (no space, a
// database error) stops the pass and is returned.
func (s *Store) Compact(ctx context.Context) (int, int64, error) {
	s.urgent.Add(1)
	defer s.urgent.Add(-1)
	return s.compact(ctx, -1)
}

// compact compacts the staged blobs. With quiet >= 0 it gives way to
// transfers (Store.busy) before each read; with quiet < 0 it does not.
func (s *Store) compact(ctx context.Context, quiet time.Duration) (int, int64, error) {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	list, err := s.stagedDigests(ctx)
	if err != nil {
		return 0, 0, err
	}
	var n int
	var bytes int64
	for _, d := range list {
		var y *yieldReader
		if quiet >= 0 {
			y = &yieldReader{s: s, ctx: ctx, quiet: quiet}
		}
		size, err := s.compactBlob(ctx, d, y)
		switch {
		case err == nil:
			n++
			bytes += size
		case ctx.Err() != nil:
			return n, bytes, ctx.Err()
		case errors.Is(err, ErrCorrupt), errors.Is(err, ErrDigestMismatch), errors.Is(err, ErrSizeMismatch):
			s.log.Error("staged blob is corrupt; it stays staged until it is uploaded again", "blob", d, "err", err)
		case errors.Is(err, ErrRetry):
			// garbage collection raced the commit; the next pass retries
		default:
			return n, bytes, fmt.Errorf("compact %s: %w", d, err)
		}
	}
	return n, bytes, nil
}

func (s *Store) stagedDigests(ctx context.Context) ([]digest.Digest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT digest FROM staged_blobs WHERE corrupt_at IS NULL ORDER BY created_at, digest`)
	if err != nil {
		return nil, fmt.Errorf("store index: staged blobs: %w", err)
	}
	defer rows.Close()
	var list []digest.Digest
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("store index: staged blobs: %w", err)
		}
		list = append(list, digest.Digest(d))
	}
	return list, rows.Err()
}

// ensureCompacted compacts d now if it is staged, without giving way to
// transfers: for callers that need its recipe.
func (s *Store) ensureCompacted(ctx context.Context, d digest.Digest) error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	_, err := s.compactBlob(ctx, d, nil)
	return err
}

// compactBlob chunks staged blob d through the same ingest as an inline
// Put, which hashes the staged bytes again, so the recipe it records is
// proven to be d, and swaps the staged object for the recipe. It reads
// through y unless y is nil. It returns the blob's size, or 0 if d is not
// staged (any more).
func (s *Store) compactBlob(ctx context.Context, d digest.Digest, y *yieldReader) (int64, error) {
	st, ok, err := s.stagedOf(ctx, d)
	if err != nil || !ok {
		return 0, err
	}
	var size int64
	if err := s.db.QueryRowContext(ctx, `SELECT size FROM blobs WHERE digest = ?`, d.String()).Scan(&size); err != nil {
		return 0, fmt.Errorf("store index: blob: %w", err)
	}
	start := time.Now()
	rc := s.readStaged(ctx, d, st, size)
	defer rc.Close()
	var r io.Reader = rc
	if y != nil {
		y.r, r = rc, y
	}
	rec, err := s.ingest(ctx, d, size, r)
	if errors.Is(err, errStagedGone) {
		return 0, nil // garbage collection deleted it
	}
	if errors.Is(err, ErrDigestMismatch) || errors.Is(err, ErrSizeMismatch) {
		// Every block verified, yet the whole does not: the block hashes
		// themselves describe other bytes.
		s.quarantineStaged(d, st.object, err.Error())
	}
	if err != nil {
		return 0, err
	}
	gone, err := s.commitCompaction(ctx, d, st, size, rec)
	if err != nil || gone {
		return 0, err
	}
	var packed int64
	for _, p := range rec.packs {
		packed += p.size
	}
	s.log.Info("compacted staged blob", "blob", d, "size", size, "packed_bytes", packed,
		"new_chunks", len(rec.added), "chunks", len(rec.ids), "took", time.Since(start).Round(time.Millisecond))
	return size, nil
}

// readStaged is a reader of the whole staged blob, verified block by block.
// It does not count as a transfer.
func (s *Store) readStaged(ctx context.Context, d digest.Digest, st staged, size int64) io.ReadCloser {
	r := s.startReader(ctx, func(ctx context.Context, send sendFunc) error {
		if size == 0 {
			return nil
		}
		_, err := s.produceStaged(ctx, d, st, size, 0, size, send)
		return err
	})
	r.internal = true
	return r
}

// commitCompaction records the packs, chunks and recipe of staged blob d
// and removes its staged row, in one transaction, then deletes the staged
// object. gone is true if d was no longer staged (deleted by garbage
// collection, or compacted by another process); nothing is recorded then.
func (s *Store) commitCompaction(ctx context.Context, d digest.Digest, st staged, size int64, rec recipe) (gone bool, err error) {
	defer s.inflight.remove(rec.packNames()...)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM staged_blobs WHERE digest = ? AND object = ?`, d.String(), st.object)
	if err != nil {
		return false, fmt.Errorf("store index: unstage: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err == nil, err // the packs are orphans now; the reaper removes them
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM staged_sums WHERE object = ?`, st.object); err != nil {
		return false, fmt.Errorf("store index: unstage: %w", err)
	}
	err = insertPacks(ctx, tx, rec, time.Now().Unix())
	var healed int64
	if err == nil {
		healed, err = healChunks(ctx, tx, rec)
	}
	if err == nil {
		err = insertRecipe(ctx, tx, d, rec)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		tx.Rollback()
		if id, missing := s.missingChunk(ctx, rec); missing {
			return false, fmt.Errorf("%w: chunk %x was deleted by garbage collection", ErrRetry, id[:8])
		}
		if db.IsForeignKeyViolation(err) {
			return false, fmt.Errorf("%w: a chunk was deleted by garbage collection meanwhile: %v", ErrRetry, err)
		}
		return false, err
	}
	s.stagedBytes.Add(-size)
	s.counters.blobsCompacted.Add(1)
	s.replaced(d, oldStorage{}, healed)
	s.countPacks(rec)
	// A reader that looked the staged row up before this commit may still
	// be opening the object: it then finds it gone and reads the recipe.
	s.dropObject(st.object)
	return false, nil
}

// yieldReader pauses before each read while the store is busy (see
// Store.busy), unless the staged backlog is full, a Compact waits, or it
// has paused for compactMaxPause already.
type yieldReader struct {
	r      io.Reader
	s      *Store
	ctx    context.Context
	quiet  time.Duration
	paused time.Duration // in all, for this blob
}

func (y *yieldReader) Read(p []byte) (int, error) {
	for y.shouldPause() {
		select {
		case <-time.After(yieldPoll):
			y.paused += yieldPoll
		case <-y.ctx.Done():
			return 0, y.ctx.Err()
		}
	}
	return y.r.Read(p)
}

func (y *yieldReader) shouldPause() bool {
	s := y.s
	return s.busy(y.quiet) && y.paused < compactMaxPause &&
		s.stagedBytes.Load() < s.opts.StageBacklog && s.urgent.Load() == 0
}

// loadStagedBytes sums the size of the staged blobs, for the backlog.
func loadStagedBytes(ctx context.Context, database *db.DB) (int64, error) {
	var n int64
	err := database.QueryRowContext(ctx,
		`SELECT COALESCE(SUM(b.size), 0) FROM staged_blobs s JOIN blobs b ON b.digest = s.digest`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store index: staged bytes: %w", err)
	}
	return n, nil
}
