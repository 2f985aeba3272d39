package store

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// recipeChunk is one recipe entry joined with its chunk's location.
type recipeChunk struct {
	seq        int64
	blobOffset int64
	chunkLoc
}

// walkRecipe calls fn, in order, for each chunk of d that overlaps
// [start, end). Rows are loaded a page at a time so memory stays bounded
// for any blob size.
func (s *Store) walkRecipe(ctx context.Context, d digest.Digest, start, end int64, fn func(recipeChunk) error) error {
	if start >= end {
		return nil
	}
	var seq int64
	err := s.db.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(seq), 0) FROM blob_chunks WHERE digest = ? AND blob_offset <= ?`,
		d.String(), start).Scan(&seq)
	if err != nil {
		return fmt.Errorf("store index: recipe start: %w", err)
	}
	for {
		page, err := s.recipePage(ctx, d, seq)
		if err != nil {
			return err
		}
		for _, c := range page {
			if c.blobOffset >= end {
				return nil
			}
			if err := fn(c); err != nil {
				return err
			}
			seq = c.seq + 1
		}
		if len(page) < recipePage {
			return nil
		}
	}
}

func (s *Store) recipePage(ctx context.Context, d digest.Digest, from int64) ([]recipeChunk, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT bc.seq, bc.blob_offset, c.id, c.pack, c.pack_offset, c.stored_size, c.size, c.codec
		 FROM blob_chunks bc JOIN chunks c ON c.id = bc.chunk
		 WHERE bc.digest = ? AND bc.seq >= ? ORDER BY bc.seq LIMIT ?`,
		d.String(), from, recipePage)
	if err != nil {
		return nil, fmt.Errorf("store index: recipe: %w", err)
	}
	defer rows.Close()
	page := make([]recipeChunk, 0, recipePage)
	for rows.Next() {
		var c recipeChunk
		var id []byte
		if err := rows.Scan(&c.seq, &c.blobOffset, &id, &c.pack, &c.offset, &c.stored, &c.size, &c.codec); err != nil {
			return nil, fmt.Errorf("store index: recipe row: %w", err)
		}
		if len(id) != len(c.id) {
			return nil, fmt.Errorf("%w: chunk id of %d bytes in recipe of %s", ErrCorrupt, len(id), d)
		}
		copy(c.id[:], id)
		page = append(page, c)
	}
	return page, rows.Err()
}
