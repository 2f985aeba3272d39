package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
)

// Quarantine. A read that finds stored bytes that do not verify (a chunk
// that does not hash to its id, a pack or staged object that is gone or
// cut short) records the damage, so that it can be repaired:
//
//   - the chunk goes into bad_chunks; a staged blob gets corrupt_at;
//   - Stat reports every blob using a bad chunk (or a bad staged object)
//     as Damaged, which the protocol servers treat as missing for uploaders
//     (the Git LFS batch API asks for the bytes again, an OCI HEAD answers
//     404) and as a server error for downloaders;
//   - ingest does not count a bad chunk as present, so the next upload of
//     any blob containing it writes a fresh copy; the commit points the
//     chunk's row at the copy and clears its quarantine, which heals every
//     blob that uses it (Put of a damaged blob stores its bytes anew, and
//     replaces a bad staged object).
//
// Only definite evidence quarantines: bytes that were read whole and do
// not verify, or an object that is missing or shorter than the metadata
// says. A backend error that may pass (a timeout, a reset connection)
// fails the read and records nothing.

// confirmed reads n bytes of object at off once more and reports whether
// they still fail check: a mismatch seen twice is the stored bytes' fault,
// not a flipped bit on the way, and only then is anything quarantined.
func (s *Store) confirmed(ctx context.Context, object string, off int64, n int, check func([]byte) error) bool {
	ctx = context.WithoutCancel(ctx)
	rc, err := s.backend.ReadRange(ctx, object, off, int64(n))
	if err != nil {
		return errors.Is(err, ErrObjectNotExist) || errors.Is(err, ErrInvalidRange)
	}
	defer rc.Close()
	buf, err := readFull(rc, nil, n)
	if err != nil {
		return s.shorterThan(ctx, object, off+int64(n))
	}
	return check(buf) != nil
}

// maxDamageReport bounds the blobs and repositories a quarantine logs.
const maxDamageReport = 20

// quarantineChunks records ids, read from pack, as bad, for reason, and
// logs which blobs and repositories are affected. A chunk whose row no
// longer points at pack (healed or repacked since it was looked up) is
// left alone. It uses its own context: the read that found the damage may
// be cancelled by now.
func (s *Store) quarantineChunks(reason, pack string, ids ...chunkID) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now().Unix()
	for _, id := range ids {
		res, err := s.db.ExecContext(ctx,
			`INSERT INTO bad_chunks (chunk, found_at, reason) SELECT id, ?, ? FROM chunks WHERE id = ? AND pack = ?
			 ON CONFLICT DO NOTHING`, now, reason, id[:], pack)
		if err != nil {
			s.log.Error("quarantine chunk", "chunk", fmt.Sprintf("%x", id[:]), "err", err)
			continue
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // already quarantined, moved or deleted meanwhile
		}
		s.counters.quarantined.Add(1)
		blobs, repos := s.affectedBy(ctx, `SELECT DISTINCT bc.digest, l.repo FROM blob_chunks bc
			JOIN links l ON l.digest = bc.digest WHERE bc.chunk = ? ORDER BY bc.digest, l.repo LIMIT ?`, id[:])
		s.log.Error("chunk quarantined: blobs using it are damaged until one of them is uploaded again",
			"chunk", fmt.Sprintf("%x", id[:]), "reason", reason, "blobs", blobs, "repos", repos)
	}
}

// quarantineStaged records that the staged object of d is damaged.
func (s *Store) quarantineStaged(d digest.Digest, object, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.db.ExecContext(ctx,
		`UPDATE staged_blobs SET corrupt_at = ? WHERE digest = ? AND object = ? AND corrupt_at IS NULL`,
		time.Now().Unix(), d.String(), object)
	if err != nil {
		s.log.Error("quarantine staged blob", "blob", d, "err", err)
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return
	}
	s.counters.quarantined.Add(1)
	_, repos := s.affectedBy(ctx, `SELECT digest, repo FROM links WHERE digest = ? ORDER BY repo LIMIT ?`, d.String())
	s.log.Error("staged blob quarantined: it is damaged until it is uploaded again",
		"blob", d, "object", object, "reason", reason, "repos", repos)
}

// affectedBy runs query (digest, repo rows; its last argument is the limit)
// and returns the distinct blobs and repositories it names, for the log.
func (s *Store) affectedBy(ctx context.Context, query string, arg any) (blobs, repos []string) {
	rows, err := s.db.QueryContext(ctx, query, arg, maxDamageReport)
	if err != nil {
		return nil, nil
	}
	defer rows.Close()
	seenB, seenR := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var d, r string
		if rows.Scan(&d, &r) != nil {
			return blobs, repos
		}
		if !seenB[d] {
			seenB[d] = true
			blobs = append(blobs, d)
		}
		if !seenR[r] {
			seenR[r] = true
			repos = append(repos, r)
		}
	}
	return blobs, repos
}

// damagedSQL is true for a blob (b.digest) whose staged object or one of
// whose chunks is quarantined. It walks the quarantine, which is empty or
// small, and probes the recipe index, so it costs next to nothing for a
// healthy store whatever the blob's size.
const damagedSQL = `(EXISTS (SELECT 1 FROM staged_blobs sb WHERE sb.digest = b.digest AND sb.corrupt_at IS NOT NULL)
	OR EXISTS (SELECT 1 FROM bad_chunks q WHERE EXISTS
		(SELECT 1 FROM blob_chunks bc WHERE bc.chunk = q.chunk AND bc.digest = b.digest)))`

// blobState reports whether blob d is stored, and if so whether it is
// damaged.
func (s *Store) blobState(ctx context.Context, q querier, d digest.Digest) (exists, damaged bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT `+damagedSQL+` FROM blobs b WHERE b.digest = ?`, d.String()).Scan(&damaged)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("store index: blob: %w", err)
	}
	return true, damaged, nil
}

// querier is a database or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// healChunks clears the quarantine of the chunks that now live in the
// packs rec wrote: ingest wrote fresh copies of them, and insertChunks
// pointed their rows there.
func healChunks(ctx context.Context, tx *sql.Tx, rec recipe) (int64, error) {
	var healed int64
	for _, p := range rec.packs {
		res, err := tx.ExecContext(ctx,
			`DELETE FROM bad_chunks WHERE chunk IN (SELECT id FROM chunks WHERE pack = ?)`, p.name)
		if err != nil {
			return 0, fmt.Errorf("store index: heal chunks: %w", err)
		}
		n, _ := res.RowsAffected()
		healed += n
	}
	return healed, nil
}

// Damage counts what is quarantined now.
type Damage struct {
	Chunks       int64 // quarantined chunks
	StagedBlobs  int64 // staged blobs whose object is damaged
	DamagedBlobs int64 // blobs using a quarantined chunk or a damaged staged object
}

// Damage returns what is quarantined now, for metrics and checks.
func (s *Store) Damage(ctx context.Context) (Damage, error) {
	var dm Damage
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM bad_chunks),
		(SELECT COUNT(*) FROM staged_blobs WHERE corrupt_at IS NOT NULL),
		(SELECT COUNT(*) FROM (SELECT DISTINCT bc.digest FROM bad_chunks q JOIN blob_chunks bc ON bc.chunk = q.chunk
		  UNION SELECT digest FROM staged_blobs WHERE corrupt_at IS NOT NULL) AS damaged)`).
		Scan(&dm.Chunks, &dm.StagedBlobs, &dm.DamagedBlobs)
	if err != nil {
		return Damage{}, fmt.Errorf("store index: damage: %w", err)
	}
	return dm, nil
}
