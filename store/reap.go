package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReapOrphans removes leftovers of failed, crashed and abandoned uploads and
// returns how many objects and sessions it removed:
//   - packs and staged objects that no committed metadata references,
//     older than OrphanAge;
//   - upload sessions untouched for longer than UploadMaxAge;
//   - upload pieces that no session accounts for, older than OrphanAge;
//   - what the backend left behind a crash (Reaper), at once.
//
// Packs and staged objects of Puts still running in this process are never
// touched, whatever their age.
func (s *Store) ReapOrphans(ctx context.Context) (int, error) {
	packs, err := s.reapPacks(ctx)
	if err != nil {
		return packs, err
	}
	staged, err := s.reapStaged(ctx)
	packs += staged
	if err != nil {
		return packs, err
	}
	sessions, err := s.reapUploads(ctx, s.opts.UploadMaxAge)
	if err != nil {
		return packs + sessions, err
	}
	pieces, err := s.reapPieces(ctx)
	if err != nil {
		return packs + sessions + pieces, err
	}
	var leftovers int
	if r, ok := s.backend.(Reaper); ok {
		leftovers, err = r.Reap(ctx)
		if leftovers > 0 {
			s.log.Info("reaped backend leftovers of a crashed process", "files", leftovers)
		}
	}
	return packs + sessions + pieces + leftovers, err
}

func (s *Store) reapPacks(ctx context.Context) (int, error) {
	cutoff := time.Now().Add(-s.opts.OrphanAge)
	return s.reapObjects(ctx, packPrefix, func(oi ObjectInfo) (bool, error) {
		if !strings.HasSuffix(oi.Name, ".pack") || oi.ModTime.After(cutoff) || s.inflight.has(oi.Name) {
			return false, nil
		}
		known, err := s.exists(ctx, `SELECT 1 FROM packs WHERE name = ?`, oi.Name)
		return !known, err
	})
}

// reapStaged removes staged objects no staged blob refers to: left by a
// crash before the commit, or after a compaction or GC that could not
// delete them. It also removes the block hashes of staged objects that no
// staged blob names and no running upload is writing.
func (s *Store) reapStaged(ctx context.Context) (int, error) {
	cutoff := time.Now().Add(-s.opts.OrphanAge)
	n, err := s.reapObjects(ctx, stagedPrefix, func(oi ObjectInfo) (bool, error) {
		if !strings.HasSuffix(oi.Name, ".raw") || oi.ModTime.After(cutoff) || s.inflight.has(oi.Name) {
			return false, nil
		}
		known, err := s.exists(ctx, `SELECT 1 FROM staged_blobs WHERE object = ?`, oi.Name)
		return !known, err
	})
	if err != nil {
		return n, err
	}
	// Pages written lately may be those of an upload another replica is
	// receiving: only objects whose every page is older than the cutoff.
	rows, err := s.db.QueryContext(ctx,
		`SELECT object FROM staged_sums WHERE object NOT IN (SELECT object FROM staged_blobs)
		 GROUP BY object HAVING MAX(written_at) < ?`, cutoff.Unix())
	if err != nil {
		return n, fmt.Errorf("store index: orphan block hashes: %w", err)
	}
	var orphans []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return n, fmt.Errorf("store index: orphan block hashes: %w", err)
		}
		orphans = append(orphans, o)
	}
	rows.Close()
	for _, o := range orphans {
		if s.inflight.has(o) {
			continue // an upload still writing them
		}
		// The condition holds against an upload that committed since.
		if _, err := s.execCount(ctx, "orphan block hashes",
			`DELETE FROM staged_sums WHERE object = ? AND NOT EXISTS (SELECT 1 FROM staged_blobs WHERE object = ?)
			 AND NOT EXISTS (SELECT 1 FROM staged_sums WHERE object = ? AND written_at >= ?)`, o, o, o, cutoff.Unix()); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}

// reapPieces removes upload pieces whose session is gone, or which were
// written but never recorded (a crash between the two).
func (s *Store) reapPieces(ctx context.Context) (int, error) {
	cutoff := time.Now().Add(-s.opts.OrphanAge)
	return s.reapObjects(ctx, uploadPrefix, func(oi ObjectInfo) (bool, error) {
		if oi.ModTime.After(cutoff) {
			return false, nil
		}
		id, seqStr, ok := strings.Cut(strings.TrimPrefix(oi.Name, uploadPrefix), "/")
		seq, err := strconv.Atoi(seqStr)
		if !ok || err != nil {
			return true, nil // not a name the store writes
		}
		recorded, err := s.exists(ctx, `SELECT 1 FROM uploads WHERE id = ? AND parts > ?`, id, seq)
		return !recorded, err
	})
}

// reapObjects deletes every object under prefix that doomed says to.
func (s *Store) reapObjects(ctx context.Context, prefix string, doomed func(ObjectInfo) (bool, error)) (int, error) {
	var names []string
	err := s.backend.List(ctx, prefix, func(oi ObjectInfo) error {
		d, err := doomed(oi)
		if d {
			names = append(names, oi.Name)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reap %s: %w", prefix, err)
	}
	for i, name := range names {
		if err := s.backend.Delete(ctx, name); err != nil {
			return i, fmt.Errorf("reap %s: %w", name, err)
		}
		s.log.Info("reaped orphan object", "object", name)
	}
	return len(names), nil
}
