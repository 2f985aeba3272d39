package store

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
)

// StaleStagedRead looks up staged blob d's row, lets between run (a
// compaction, say), then reads [start, end) with the row it looked up. It
// returns where the read got to and its error: a reader that lost the race
// with the compactor.
func (s *Store) StaleStagedRead(ctx context.Context, d digest.Digest, size, start, end int64, between func()) (int64, bool, error) {
	st, ok, err := s.stagedOf(ctx, d)
	if err != nil || !ok {
		return 0, ok, err
	}
	between()
	next, err := s.produceStaged(ctx, d, st, size, start, end, func([]byte, *[]byte) error { return nil })
	return next, true, err
}

// ErrStagedGone is errStagedGone, for tests.
var ErrStagedGone = errStagedGone

// SetSumsPage sets how many block hashes a staged_sums row holds, until
// the returned func restores it. Only for a store created after it.
func SetSumsPage(n int64) (restore func()) {
	old := sumsPage
	sumsPage = n
	return func() { sumsPage = old }
}

// SetCompactMaxPause sets how long a compaction gives way to transfers,
// until the returned func restores it.
func SetCompactMaxPause(d time.Duration) (restore func()) {
	old := compactMaxPause
	compactMaxPause = d
	return func() { compactMaxPause = old }
}
