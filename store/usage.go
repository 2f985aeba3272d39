package store

import (
	"context"
	"fmt"
)

// Usage is what the store holds, from its metadata: every blob once,
// whatever links it.
type Usage struct {
	Blobs        int64 `json:"blobs"`
	LogicalBytes int64 `json:"logical_bytes"` // the blobs' sizes
	// StoredBytes is what their chunks take in packs (after dedup and
	// compression) plus the staged blobs not compacted yet.
	StoredBytes int64 `json:"stored_bytes"`
	StagedBytes int64 `json:"staged_bytes"` // of which staged, waiting for the compactor
	PackBytes   int64 `json:"pack_bytes"`   // the packs' sizes, space chunks no longer use included
}

// RepoUsage is what the blobs linked to one repository add up to, before
// deduplication (a blob shared by two repositories counts in both).
type RepoUsage struct {
	Repo         string `json:"repo"`
	Blobs        int64  `json:"blobs"`
	LogicalBytes int64  `json:"logical_bytes"`
}

// Usage adds up the store's metadata.
func (s *Store) Usage(ctx context.Context) (Usage, error) {
	var u Usage
	err := s.db.QueryRowContext(ctx, `SELECT
		  (SELECT COUNT(*) FROM blobs),
		  (SELECT COALESCE(SUM(size), 0) FROM blobs),
		  (SELECT COALESCE(SUM(stored_size), 0) FROM chunks),
		  (SELECT COALESCE(SUM(b.size), 0) FROM staged_blobs s JOIN blobs b ON b.digest = s.digest),
		  (SELECT COALESCE(SUM(size), 0) FROM packs)`).
		Scan(&u.Blobs, &u.LogicalBytes, &u.StoredBytes, &u.StagedBytes, &u.PackBytes)
	if err != nil {
		return Usage{}, fmt.Errorf("store index: usage: %w", err)
	}
	u.StoredBytes += u.StagedBytes
	return u, nil
}

// ReposUsage returns the usage of each of repos that exists, in the order
// given.
func (s *Store) ReposUsage(ctx context.Context, repos []string) ([]RepoUsage, error) {
	out := make([]RepoUsage, 0, len(repos))
	for _, r := range repos {
		u := RepoUsage{Repo: r}
		err := s.db.QueryRowContext(ctx,
			`SELECT COUNT(*), COALESCE(SUM(b.size), 0) FROM links l JOIN blobs b ON b.digest = l.digest WHERE l.repo = ?`, r).
			Scan(&u.Blobs, &u.LogicalBytes)
		if err != nil {
			return nil, fmt.Errorf("store index: usage of %s: %w", r, err)
		}
		out = append(out, u)
	}
	return out, nil
}
