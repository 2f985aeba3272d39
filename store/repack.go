package store

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Repacking wins back the space of chunks nothing uses any more in packs
// that still hold live ones. A pack written at least a grace period ago
// whose live chunks take less than half of it is rewritten: its live
// chunks are read, verified and copied as they are stored (compressed or
// raw) into new packs; one transaction then records the new packs, points
// the chunks at them and retires the old pack. A retired pack holds no
// chunk, and GC deletes it once it has been retired for the grace period,
// so a reader that found a chunk there just before can still read it.
//
// A pack with a chunk that fails verification is left as it is, and the
// corruption logged: copying it would hide the damage under a new name.

// repackPerPass bounds the live bytes one GC pass copies, so that a pass
// (which holds the GC lock and commits once at its end) stays short; the
// next pass goes on with the rest.
const repackPerPass = 1 << 30

// repackCandidate is a pack worth rewriting.
type repackCandidate struct {
	name       string
	size, live int64
}

// repack rewrites the mostly dead packs written at or before cutoff and
// returns how many it retired and how many bytes it copied.
func (s *Store) repack(ctx context.Context, cutoff, now int64) (int, int64, error) {
	cands, err := s.repackCandidates(ctx, cutoff)
	if err != nil || len(cands) == 0 {
		return 0, 0, err
	}
	pw := newPackWriter(ctx, s)
	var moves []chunkMove
	var retired []string
	var copied int64
	for _, p := range cands {
		if copied > 0 && copied+p.live > repackPerPass {
			break
		}
		m, err := s.copyLiveChunks(ctx, pw, p.name)
		if errors.Is(err, ErrCorrupt) {
			continue // logged; the pack stays as it is
		}
		if err != nil {
			pw.abort(err)
			return 0, 0, err
		}
		moves = append(moves, m...)
		retired = append(retired, p.name)
		copied += p.live
	}
	packs, err := pw.finish()
	if err != nil {
		pw.abort(err)
		return 0, 0, err
	}
	rec := recipe{packs: packs}
	defer s.inflight.remove(rec.packNames()...)
	if err := s.commitRepack(ctx, rec, moves, retired, now); err != nil {
		return 0, 0, err // the new packs are orphans now; the reaper removes them
	}
	s.countPacks(rec)
	return len(retired), copied, nil
}

func (s *Store) repackCandidates(ctx context.Context, cutoff int64) ([]repackCandidate, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT name, size, live FROM (
		   SELECT p.name, p.size, (SELECT COALESCE(SUM(c.stored_size), 0) FROM chunks c WHERE c.pack = p.name) AS live
		   FROM packs p WHERE p.retired_at IS NULL AND p.created_at <= ?
		 ) AS p WHERE live > 0 AND 2 * live < size ORDER BY name`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("store index: gc: repack candidates: %w", err)
	}
	defer rows.Close()
	var cands []repackCandidate
	for rows.Next() {
		var c repackCandidate
		if err := rows.Scan(&c.name, &c.size, &c.live); err != nil {
			return nil, fmt.Errorf("store index: gc: repack candidates: %w", err)
		}
		cands = append(cands, c)
	}
	return cands, rows.Err()
}

// chunkMove is a chunk copied from one pack to a new location.
type chunkMove struct {
	from string
	to   chunkLoc
}

// copyLiveChunks appends the live chunks of pack to pw, verified, and
// returns where they went.
func (s *Store) copyLiveChunks(ctx context.Context, pw *packWriter, pack string) ([]chunkMove, error) {
	live, err := s.packChunks(ctx, pack)
	if err != nil || len(live) == 0 {
		return nil, err
	}
	first, last := live[0], live[len(live)-1]
	rc, err := s.backend.ReadRange(ctx, pack, first.offset, last.offset+int64(last.stored)-first.offset)
	if err != nil {
		return nil, fmt.Errorf("gc: read pack %s: %w", pack, err)
	}
	defer rc.Close()
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	var moves []chunkMove
	pos := first.offset
	for _, c := range live {
		if _, err := io.CopyN(io.Discard, rc, c.offset-pos); err != nil {
			return nil, s.corruptPack(pack, c, s.shorterThan(ctx, pack, c.offset), fmt.Errorf("short pack: %w", err))
		}
		raw, err := readFull(rc, *bp, c.stored)
		*bp = raw[:0]
		if err != nil {
			return nil, s.corruptPack(pack, c, s.shorterThan(ctx, pack, c.offset+int64(c.stored)), err)
		}
		pos = c.offset + int64(c.stored)
		_, out, err := s.decodeChunk(raw, c)
		if out != nil {
			s.bufs.Put(out)
		}
		if err != nil {
			return nil, s.corruptPack(pack, c, s.confirmed(ctx, pack, c.offset, c.stored, s.checkChunk(c)), err)
		}
		loc, err := pw.add(c.id, c.codec, raw, c.size)
		if err != nil {
			return nil, err
		}
		moves = append(moves, chunkMove{from: pack, to: loc})
	}
	return moves, nil
}

// packChunks lists the chunks recorded in pack, in pack order.
func (s *Store) packChunks(ctx context.Context, pack string) ([]chunkLoc, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, pack_offset, stored_size, size, codec FROM chunks WHERE pack = ? ORDER BY pack_offset`, pack)
	if err != nil {
		return nil, fmt.Errorf("store index: gc: chunks of %s: %w", pack, err)
	}
	defer rows.Close()
	var out []chunkLoc
	for rows.Next() {
		c := chunkLoc{pack: pack}
		var id []byte
		if err := rows.Scan(&id, &c.offset, &c.stored, &c.size, &c.codec); err != nil {
			return nil, fmt.Errorf("store index: gc: chunks of %s: %w", pack, err)
		}
		if len(id) != len(c.id) {
			return nil, fmt.Errorf("%w: chunk id of %d bytes in pack %s", ErrCorrupt, len(id), pack)
		}
		copy(c.id[:], id)
		out = append(out, c)
	}
	return out, rows.Err()
}

// corruptPack reports a chunk of pack that failed verification while
// repacking, and quarantines it if the evidence is definite.
func (s *Store) corruptPack(pack string, c chunkLoc, definite bool, err error) error {
	s.counters.corruptChunks.Add(1)
	s.log.Error("gc: corrupt chunk; its pack is not repacked", "pack", pack, "offset", c.offset,
		"chunk", fmt.Sprintf("%x", c.id[:]), "err", err)
	if definite {
		s.quarantineChunks(fmt.Sprintf("pack %s at byte %d: %v", pack, c.offset, err), pack, c.id)
	}
	return fmt.Errorf("%w: pack %s at byte %d: %v", ErrCorrupt, pack, c.offset, err)
}

// commitRepack records the new packs, moves the chunks and retires the
// old packs in one transaction. A chunk deleted meanwhile is simply not
// moved (its copy is dead space in the new pack).
func (s *Store) commitRepack(ctx context.Context, rec recipe, moves []chunkMove, retired []string, now int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertPacks(ctx, tx, rec, now); err != nil {
		return err
	}
	move, err := tx.PrepareContext(ctx, `UPDATE chunks SET pack = ?, pack_offset = ? WHERE id = ? AND pack = ?`)
	if err != nil {
		return err
	}
	defer move.Close()
	for _, m := range moves {
		if _, err := move.ExecContext(ctx, m.to.pack, m.to.offset, m.to.id[:], m.from); err != nil {
			return fmt.Errorf("store index: gc: move chunk: %w", err)
		}
	}
	for _, name := range retired {
		if _, err := tx.ExecContext(ctx, `UPDATE packs SET retired_at = ? WHERE name = ?`, now, name); err != nil {
			return fmt.Errorf("store index: gc: retire pack: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store index: gc: repack: %w", err)
	}
	return nil
}
