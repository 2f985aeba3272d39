package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

// GCStats says what one GC pass did.
type GCStats struct {
	Noted    int   // blobs newly found linked to no repository
	Blobs    int   // blobs deleted, with their recipes
	Chunks   int   // chunk records deleted
	Repacked int   // mostly dead packs whose live chunks were copied to new packs
	Copied   int64 // bytes of live chunks copied by that
	Packs    int   // pack objects deleted
	Freed    int64 // bytes of the packs deleted
	// Dead is the space in packs that still hold a chunk that no chunk
	// occupies any more: packs less than half dead are not repacked. It
	// includes the packs' trailers, 41 bytes per chunk they were written
	// with.
	Dead int64
}

// GC deletes what nothing references any more, never anything younger
// than grace:
//
//  1. blobs linked to no repository are noted; those noted at least grace
//     ago and still unlinked are deleted with their recipes (with a grace
//     of 0, those found unlinked now), staged ones with their staged
//     objects;
//  2. chunks no recipe uses, in packs written at least grace ago, are
//     forgotten;
//  3. packs written at least grace ago whose live chunks take less than
//     half of them are repacked (repack.go) and retired;
//  4. packs left with no chunk, and retired ones once retired for grace,
//     are deleted from the backend.
//
// Each deletion re-checks its condition in the statement that deletes, so
// a concurrent push cannot lose data: a Put that had found a chunk or a
// blob present and meanwhile lost it fails its commit on the foreign key
// instead of recording a recipe that points nowhere. Passes run one at a
// time.
func (s *Store) GC(ctx context.Context, grace time.Duration) (GCStats, error) {
	var st GCStats
	if grace < 0 {
		return st, fmt.Errorf("store: gc: negative grace %v", grace)
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	now := time.Now()
	cutoff := now.Add(-grace).Unix()
	var err error
	if st.Noted, err = s.noteUnlinked(ctx, now.Unix()); err != nil {
		return st, err
	}
	if st.Blobs, err = s.deleteUnlinkedBlobs(ctx, cutoff); err != nil {
		return st, err
	}
	st.Chunks, err = s.execCount(ctx, "gc: chunks",
		`DELETE FROM chunks WHERE
		   NOT EXISTS (SELECT 1 FROM blob_chunks bc WHERE bc.chunk = chunks.id)
		   AND pack IN (SELECT name FROM packs WHERE created_at <= ?)`, cutoff)
	if db.IsForeignKeyViolation(err) {
		// A push (on another replica, on PostgreSQL) began using one of
		// these chunks while the statement ran: it deleted nothing, and
		// the next pass tries again.
		s.log.Info("gc: a push took up unused chunks meanwhile; they are left for the next pass")
		st.Chunks, err = 0, nil
	}
	if err != nil {
		return st, err
	}
	if st.Repacked, st.Copied, err = s.repack(ctx, cutoff, now.Unix()); err != nil {
		return st, err
	}
	st.Packs, st.Freed, err = s.deleteEmptyPacks(ctx, cutoff)
	s.counters.gcBlobs.Add(int64(st.Blobs))
	s.counters.gcPacks.Add(int64(st.Packs))
	s.counters.gcBytesFreed.Add(st.Freed)
	if err != nil {
		return st, err
	}
	// Of each pack that still holds a chunk, the bytes no recorded chunk
	// occupies (the trailer's few bytes per entry included).
	err = s.db.QueryRowContext(ctx,
		`SELECT COALESCE(SUM(p.size - (SELECT SUM(c.stored_size) FROM chunks c WHERE c.pack = p.name)), 0)
		 FROM packs p WHERE EXISTS (SELECT 1 FROM chunks c WHERE c.pack = p.name)`).Scan(&st.Dead)
	if err != nil {
		return st, fmt.Errorf("store index: gc: dead bytes: %w", err)
	}
	return st, nil
}

// noteUnlinked records when each blob linked to no repository was first
// seen so, and forgets blobs linked again since.
func (s *Store) noteUnlinked(ctx context.Context, now int64) (int, error) {
	if _, err := s.execCount(ctx, "gc: relinked",
		`DELETE FROM gc_unlinked WHERE EXISTS (SELECT 1 FROM links l WHERE l.digest = gc_unlinked.digest)`); err != nil {
		return 0, err
	}
	return s.execCount(ctx, "gc: note unlinked",
		`INSERT INTO gc_unlinked (digest, noted_at)
		 SELECT b.digest, ? FROM blobs b
		 WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.digest = b.digest)
		 ON CONFLICT DO NOTHING`, now)
}

// deleteUnlinkedBlobs deletes the blobs noted at or before cutoff that are
// still linked nowhere, one transaction each.
func (s *Store) deleteUnlinkedBlobs(ctx context.Context, cutoff int64) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT digest FROM gc_unlinked WHERE noted_at <= ?`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("store index: gc: unlinked blobs: %w", err)
	}
	var doomed []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store index: gc: unlinked blobs: %w", err)
		}
		doomed = append(doomed, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store index: gc: unlinked blobs: %w", err)
	}
	n := 0
	for _, d := range doomed {
		deleted, err := s.deleteBlob(ctx, d)
		if err != nil {
			return n, err
		}
		if deleted {
			n++
		}
	}
	return n, nil
}

// deleteBlob deletes blob d and its recipe or staged object if no
// repository links it. No link can appear between the check and the
// deletes: on SQLite the first statement takes the database's write lock;
// on PostgreSQL the blob's row is locked first, which a link's foreign
// key check waits for (a link committed before is seen by the check, and
// one inserted after fails its foreign key: the Put retries).
func (s *Store) deleteBlob(ctx context.Context, d string) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if s.db.Dialect == db.Postgres {
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM blobs WHERE digest = ? FOR UPDATE`, d).Scan(new(int))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("store index: gc: lock blob %s: %w", d, err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM gc_unlinked WHERE digest = ?`, d)
	if err == nil {
		_, err = res.RowsAffected()
	}
	if err != nil {
		return false, fmt.Errorf("store index: gc: %w", err)
	}
	var linked bool
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM links WHERE digest = ? LIMIT 1`, d).Scan(new(int))
	switch {
	case err == nil:
		linked = true
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("store index: gc: %w", err)
	}
	var stagedObject string
	var stagedSize int64
	if !linked {
		err := tx.QueryRowContext(ctx,
			`SELECT s.object, b.size FROM staged_blobs s JOIN blobs b ON b.digest = s.digest WHERE s.digest = ?`, d).
			Scan(&stagedObject, &stagedSize)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("store index: gc: %w", err)
		}
		if stagedObject != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM staged_sums WHERE object = ?`, stagedObject); err != nil {
				return false, fmt.Errorf("store index: gc: delete blob %s: %w", d, err)
			}
		}
		for _, q := range []string{
			`DELETE FROM staged_blobs WHERE digest = ?`,
			`DELETE FROM blob_chunks WHERE digest = ?`,
			// Rows of other packages that name the blob go with it
			// (ON DELETE CASCADE), such as the publisher's record of
			// image-form tar layers: a deleted layer is built again.
			`DELETE FROM blobs WHERE digest = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, d); err != nil {
				return false, fmt.Errorf("store index: gc: delete blob %s: %w", d, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store index: gc: %w", err)
	}
	if stagedObject != "" {
		s.stagedBytes.Add(-stagedSize)
		s.dropObject(stagedObject)
	}
	return !linked, nil
}

// deleteEmptyPacks deletes the packs written at or before cutoff that no
// chunk uses and that were not retired after cutoff: the record first,
// then the object, so that a failure leaves at worst an orphan object,
// which the reaper removes.
func (s *Store) deleteEmptyPacks(ctx context.Context, cutoff int64) (int, int64, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT name, size FROM packs p WHERE created_at <= ? AND (retired_at IS NULL OR retired_at <= ?)
		   AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.pack = p.name)`, cutoff, cutoff)
	if err != nil {
		return 0, 0, fmt.Errorf("store index: gc: empty packs: %w", err)
	}
	type pack struct {
		name string
		size int64
	}
	var empty []pack
	for rows.Next() {
		var p pack
		if err := rows.Scan(&p.name, &p.size); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("store index: gc: empty packs: %w", err)
		}
		empty = append(empty, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("store index: gc: empty packs: %w", err)
	}
	var n int
	var freed int64
	for _, p := range empty {
		gone, err := s.execCount(ctx, "gc: pack",
			`DELETE FROM packs WHERE name = ? AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.pack = packs.name)`, p.name)
		if err != nil {
			return n, freed, err
		}
		if gone == 0 {
			continue // a chunk moved in since the query
		}
		if err := s.backend.Delete(ctx, p.name); err != nil && !errors.Is(err, ErrObjectNotExist) {
			s.log.Warn("gc: delete pack; the reaper will retry", "pack", p.name, "err", err)
			continue
		}
		n++
		freed += p.size
	}
	return n, freed, nil
}

// execCount runs a statement and returns the rows it affected.
func (s *Store) execCount(ctx context.Context, what, query string, args ...any) (int, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("store index: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store index: %s: %w", what, err)
	}
	return int(n), nil
}
