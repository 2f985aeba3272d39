package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/name"
)

// This file holds the store's SQL. Statements are portable (SQLite and
// PostgreSQL); "ON CONFLICT DO NOTHING" makes concurrent inserts of the same
// chunk, blob or link idempotent.

func (s *Store) blobExists(ctx context.Context, d digest.Digest) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM blobs WHERE digest = ?`, d.String())
}

// chunkExists reports whether the chunk id is stored and not quarantined:
// ingest stores a fresh copy of a quarantined chunk (quarantine.go).
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

// Stat returns the blob d if it is linked to repo, else ErrNotFound. A
// damaged blob (quarantine.go) is returned with Damaged set.
func (s *Store) Stat(ctx context.Context, repo string, d digest.Digest) (BlobInfo, error) {
	if err := validateDigest(d); err != nil {
		return BlobInfo{}, err
	}
	info := BlobInfo{Digest: d}
	err := s.db.QueryRowContext(ctx,
		`SELECT b.size, `+damagedSQL+` FROM links l JOIN blobs b ON b.digest = l.digest
		 WHERE l.repo = ? AND l.digest = ?`, repo, d.String()).Scan(&info.Size, &info.Damaged)
	if errors.Is(err, sql.ErrNoRows) {
		return BlobInfo{}, fmt.Errorf("%w: %s in %s", ErrNotFound, d, repo)
	}
	if err != nil {
		return BlobInfo{}, fmt.Errorf("store index: %w", err)
	}
	return info, nil
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
		if db.IsForeignKeyViolation(err) {
			// Deleted by garbage collection, and stored again since by
			// another Put (PostgreSQL, replicas): trying again links it.
			return fmt.Errorf("%w: %s was deleted by garbage collection meanwhile: %v", ErrRetry, d, err)
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
// link, in one transaction. Only after it returns is the blob visible. If
// another Put committed the blob first, the packs are dropped and that
// blob is linked instead.
func (s *Store) commit(ctx context.Context, repo string, info BlobInfo, rec recipe) error {
	defer s.inflight.remove(rec.packNames()...)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	old, err := s.claimBlob(ctx, tx, info, now)
	if errors.Is(err, errStoredMeanwhile) {
		tx.Rollback()
		for _, name := range rec.packNames() {
			s.dropObject(name)
		}
		return s.linkExisting(ctx, repo, info.Digest)
	}
	if err == nil {
		err = insertPacks(ctx, tx, rec, now)
	}
	var healed int64
	if err == nil {
		healed, err = healChunks(ctx, tx, rec)
	}
	if err == nil {
		err = insertRecipe(ctx, tx, info.Digest, rec)
	}
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
		if db.IsForeignKeyViolation(err) {
			return fmt.Errorf("%w: a chunk or blob was deleted by garbage collection meanwhile: %v", ErrRetry, err)
		}
		return err
	}
	s.replaced(info.Digest, old, healed)
	s.counters.blobsStored.Add(1)
	s.counters.bytesStored.Add(info.Size)
	s.countPacks(rec)
	s.notifyLinked(repo, info.Digest)
	return nil
}

// errStoredMeanwhile: another Put of the same blob committed it first.
var errStoredMeanwhile = errors.New("blob stored meanwhile")

// oldStorage is what a repaired blob was stored as: its staged object, if
// it was staged.
type oldStorage struct {
	object string
	size   int64
	heal   bool // the blob was damaged and is stored anew
}

// claimBlob records blob info in tx. If the blob is recorded already and
// sound, another Put committed it first: errStoredMeanwhile, and the
// caller drops its copy and links that blob. If it is recorded and
// damaged (quarantine.go), its recipe and staged row are deleted so that
// the caller's copy replaces them; the old staged object, returned, is
// deleted after the commit (replaced).
func (s *Store) claimBlob(ctx context.Context, tx *sql.Tx, info BlobInfo, now int64) (oldStorage, error) {
	res, err := tx.ExecContext(ctx,
		`INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		info.Digest.String(), info.Size, now)
	if err != nil {
		return oldStorage{}, fmt.Errorf("store index: blob: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return oldStorage{}, err
	}
	_, damaged, err := s.blobState(ctx, tx, info.Digest)
	if err != nil {
		return oldStorage{}, err
	}
	if !damaged {
		return oldStorage{}, errStoredMeanwhile
	}
	old := oldStorage{heal: true}
	err = tx.QueryRowContext(ctx, `SELECT object FROM staged_blobs WHERE digest = ?`, info.Digest.String()).Scan(&old.object)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return oldStorage{}, fmt.Errorf("store index: staged blob: %w", err)
	}
	if old.object != "" {
		old.size = info.Size
		if _, err := tx.ExecContext(ctx, `DELETE FROM staged_sums WHERE object = ?`, old.object); err != nil {
			return oldStorage{}, fmt.Errorf("store index: repair: %w", err)
		}
	}
	for _, q := range []string{`DELETE FROM staged_blobs WHERE digest = ?`, `DELETE FROM blob_chunks WHERE digest = ?`} {
		if _, err := tx.ExecContext(ctx, q, info.Digest.String()); err != nil {
			return oldStorage{}, fmt.Errorf("store index: repair: %w", err)
		}
	}
	return old, nil
}

// replaced finishes a commit that repaired a damaged blob or healed
// quarantined chunks: it deletes the old staged object and counts.
func (s *Store) replaced(d digest.Digest, old oldStorage, healedChunks int64) {
	s.counters.healed.Add(healedChunks)
	if healedChunks > 0 && !old.heal {
		s.log.Info("quarantined chunks healed by a fresh copy", "blob", d, "chunks", healedChunks)
	}
	if !old.heal {
		return
	}
	if old.object != "" {
		s.counters.healed.Add(1)
		s.stagedBytes.Add(-old.size)
		s.dropObject(old.object)
	}
	s.log.Info("damaged blob repaired by an upload of its bytes", "blob", d, "healed_chunks", healedChunks, "old_staged_object", old.object)
}

// linkExisting links a blob another Put committed while this one stored
// its own copy.
func (s *Store) linkExisting(ctx context.Context, repo string, d digest.Digest) error {
	if err := s.link(ctx, repo, d); errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrRetry, err)
	} else if err != nil {
		return err
	}
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
	// A chunk stored already keeps its row, unless it is quarantined: then
	// this is the fresh copy that heals it (quarantine.go).
	stmt, err := tx.PrepareContext(ctx,
		`INSERT INTO chunks (id, pack, pack_offset, stored_size, size, codec)
		 VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET pack = excluded.pack, pack_offset = excluded.pack_offset,
		   stored_size = excluded.stored_size, size = excluded.size, codec = excluded.codec
		 WHERE EXISTS (SELECT 1 FROM bad_chunks q WHERE q.chunk = excluded.id)`)
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

// CreateRepo creates the repository repo, empty, and reports whether it
// was created (false: it existed).
func (s *Store) CreateRepo(ctx context.Context, repo string) (bool, error) {
	if err := name.ValidateRepo(repo); err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, repo, time.Now().Unix())
	if err != nil {
		return false, fmt.Errorf("store index: create repository: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Repos returns up to limit repository names after after, in name order.
// Callers that answer with them filter by what the requester may read.
func (s *Store) Repos(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store index: repositories: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// DeleteRepo removes repo: its links and upload sessions, then the
// repository itself, and reports whether it existed. The blobs it alone
// linked are left to garbage collection, which deletes them once unlinked
// for the grace; the pieces of its upload sessions are reaped as orphans.
func (s *Store) DeleteRepo(ctx context.Context, repo string) (bool, error) {
	if err := name.ValidateRepo(repo); err != nil {
		return false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM links WHERE repo = ?`, `DELETE FROM uploads WHERE repo = ?`} {
		if _, err := tx.ExecContext(ctx, q, repo); err != nil {
			return false, fmt.Errorf("store index: delete repository: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM repositories WHERE name = ?`, repo)
	if err != nil {
		return false, fmt.Errorf("store index: delete repository: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, tx.Commit()
}
