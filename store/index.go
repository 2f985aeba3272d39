package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
)

// This file holds the store's SQL. Statements are portable (SQLite and
// PostgreSQL); "ON CONFLICT DO NOTHING" makes concurrent inserts of the same
// chunk, blob or link idempotent.

func (s *Store) blobExists(ctx context.Context, d digest.Digest) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM blobs WHERE digest = ?`, d.String())
}

// chunkExists reports whether the chunk id is stored.
//
// It runs once per new chunk of every upload, so it uses a statement
// prepared once, and a context without cancellation: with a cancellable
// one, database/sql and the SQLite driver start two goroutines per query
// to watch it, which cost more than the lookup. A cancelled upload stops
// at its next chunk anyway.
func (s *Store) chunkExists(ctx context.Context, id chunkID) (bool, error) {
	var one int
	err := s.chunkExistsStmt.QueryRowContext(context.WithoutCancel(ctx), id[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store index: %w", err)
	}
	return true, nil
}

// RepoExists reports whether anything was ever pushed to repo.
func (s *Store) RepoExists(ctx context.Context, repo string) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM repositories WHERE name = ?`, repo)
}

func (s *Store) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store index: %w", err)
	}
	return true, nil
}

// Stat returns the blob d if it is linked to repo, else ErrNotFound.
func (s *Store) Stat(ctx context.Context, repo string, d digest.Digest) (BlobInfo, error) {
	if err := validateDigest(d); err != nil {
		return BlobInfo{}, err
	}
	var size int64
	err := s.db.QueryRowContext(ctx,
		`SELECT b.size FROM links l JOIN blobs b ON b.digest = l.digest
		 WHERE l.repo = ? AND l.digest = ?`, repo, d.String()).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return BlobInfo{}, fmt.Errorf("%w: %s in %s", ErrNotFound, d, repo)
	}
	if err != nil {
		return BlobInfo{}, fmt.Errorf("store index: %w", err)
	}
	return BlobInfo{Digest: d, Size: size}, nil
}

// Link makes an existing blob visible in repo (creating repo if needed).
// The caller must have established that the requester may read the blob
// in some repository that has it; see invariant 4 in docs/architecture.md.
func (s *Store) Link(ctx context.Context, repo string, d digest.Digest) error {
	if err := validateDigest(d); err != nil {
		return err
	}
	ok, err := s.blobExists(ctx, d)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, d)
	}
	return s.link(ctx, repo, d)
}

func (s *Store) link(ctx context.Context, repo string, d digest.Digest) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = insertLink(ctx, tx, repo, d, time.Now().Unix())
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		tx.Rollback() // before looking why, so the check cannot wait on this transaction
		if exists, xerr := s.blobExists(ctx, d); xerr == nil && !exists {
			return fmt.Errorf("%w: %s was deleted by garbage collection", ErrNotFound, d)
		}
		return err
	}
	s.notifyLinked(repo, d)
	return nil
}

func insertLink(ctx context.Context, tx *sql.Tx, repo string, d digest.Digest, now int64) error {
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, repo, now); err != nil {
		return fmt.Errorf("store index: create repository: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO links (repo, digest, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, repo, d.String(), now); err != nil {
		return fmt.Errorf("store index: link: %w", err)
	}
	return nil
}

// commit records a freshly ingested blob: its packs, new chunks, recipe and
// link, in one transaction. Only after it returns is the blob visible.
func (s *Store) commit(ctx context.Context, repo string, info BlobInfo, rec recipe) error {
	defer s.inflight.remove(rec.packNames()...)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	if err := insertPacks(ctx, tx, rec, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?)`, info.Digest.String(), info.Size, now); err != nil {
		return fmt.Errorf("store index: blob: %w", err)
	}
	err = insertRecipe(ctx, tx, info.Digest, rec)
	if err == nil {
		err = insertLink(ctx, tx, repo, info.Digest, now)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		tx.Rollback() // before looking why, so the check cannot wait on this transaction
		if id, gone := s.missingChunk(ctx, rec); gone {
			return fmt.Errorf("%w: chunk %x was deleted by garbage collection", ErrRetry, id[:8])
		}
		return err
	}
	s.counters.blobsStored.Add(1)
	s.counters.bytesStored.Add(info.Size)
	s.countPacks(rec)
	s.notifyLinked(repo, info.Digest)
	return nil
}

// insertPacks records the packs an ingest wrote and the new chunks in them.
func insertPacks(ctx context.Context, tx *sql.Tx, rec recipe, now int64) error {
	for _, p := range rec.packs {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO packs (name, size, created_at) VALUES (?, ?, ?)`, p.name, p.size, now); err != nil {
			return fmt.Errorf("store index: pack: %w", err)
		}
	}
	return insertChunks(ctx, tx, rec.added)
}

func (s *Store) countPacks(rec recipe) {
	for _, p := range rec.packs {
		s.counters.packBytes.Add(p.size)
	}
}

// missingChunk returns a chunk of rec's recipe that is not stored, if any:
// one a concurrent GC deleted after ingest found it present.
func (s *Store) missingChunk(ctx context.Context, rec recipe) (chunkID, bool) {
	added := make(map[chunkID]bool, len(rec.added))
	for _, c := range rec.added {
		added[c.id] = true
	}
	for _, id := range rec.ids {
		if added[id] {
			continue
		}
		if ok, err := s.chunkExists(ctx, id); err == nil && !ok {
			return id, true
		}
		added[id] = true // checked
	}
	return chunkID{}, false
}

func insertChunks(ctx context.Context, tx *sql.Tx, locs []chunkLoc) error {
	stmt, err := tx.PrepareContext(ctx,
		`INSERT INTO chunks (id, pack, pack_offset, stored_size, size, codec)
		 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, c := range locs {
		if _, err := stmt.ExecContext(ctx, c.id[:], c.pack, c.offset, c.stored, c.size, c.codec); err != nil {
			return fmt.Errorf("store index: chunk: %w", err)
		}
	}
	return nil
}

func insertRecipe(ctx context.Context, tx *sql.Tx, d digest.Digest, rec recipe) error {
	stmt, err := tx.PrepareContext(ctx,
		`INSERT INTO blob_chunks (digest, seq, blob_offset, chunk) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	var off int64
	for i, id := range rec.ids {
		if _, err := stmt.ExecContext(ctx, d.String(), i, off, id[:]); err != nil {
			return fmt.Errorf("store index: recipe: %w", err)
		}
		off += int64(rec.sizes[i])
	}
	return nil
}

// Unlink removes blob d from repo. The blob's bytes stay in the store
// (other repositories may link it; garbage collection reclaims what no
// repository links). Unlinking a blob repo does not have is ErrNotFound.
func (s *Store) Unlink(ctx context.Context, repo string, d digest.Digest) error {
	if err := validateDigest(d); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM links WHERE repo = ? AND digest = ?`, repo, d.String())
	if err != nil {
		return fmt.Errorf("store index: unlink: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: %s in %s", ErrNotFound, d, repo)
	}
	return nil
}

// LinkedRepos returns up to limit repositories that d is linked to, in
// name order. Callers that act on the answer (an OCI mount without "from")
// must check the requester may read one of them: see invariant 4.
func (s *Store) LinkedRepos(ctx context.Context, d digest.Digest, limit int) ([]string, error) {
	if err := validateDigest(d); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT repo FROM links WHERE digest = ? ORDER BY repo LIMIT ?`, d.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("store index: linked repositories: %w", err)
	}
	defer rows.Close()
	var repos []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		repos = append(repos, r)
	}
	return repos, rows.Err()
}
