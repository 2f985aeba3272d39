package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ReapOrphans deletes packs that no committed metadata references and that
// are older than Options.OrphanAge: the leftovers of Puts that crashed or
// failed after writing packs. Packs of Puts still running in this process
// are never touched, whatever their age. It returns how many were deleted.
func (s *Store) ReapOrphans(ctx context.Context) (int, error) {
	cutoff := time.Now().Add(-s.opts.OrphanAge)
	var orphans []string
	err := s.backend.List(ctx, packPrefix, func(oi ObjectInfo) error {
		if !strings.HasSuffix(oi.Name, ".pack") || oi.ModTime.After(cutoff) || s.inflight.has(oi.Name) {
			return nil
		}
		known, err := s.exists(ctx, `SELECT 1 FROM packs WHERE name = ?`, oi.Name)
		if err != nil {
			return err
		}
		if !known {
			orphans = append(orphans, oi.Name)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reap orphan packs: %w", err)
	}
	for i, name := range orphans {
		if err := s.backend.Delete(ctx, name); err != nil {
			return i, fmt.Errorf("reap orphan pack %s: %w", name, err)
		}
		s.log.Info("reaped orphan pack", "pack", name)
	}
	return len(orphans), nil
}
