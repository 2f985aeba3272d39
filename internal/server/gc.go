package server

import (
	"context"
	"time"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
	"github.com/ballastml/ballast/store"
)

// GCFunc runs GC passes on st for the admin API, with grace unless the
// request gives its own.
func GCFunc(st *store.Store, grace time.Duration) adminapi.GCFunc {
	return func(ctx context.Context, p adminapi.GCParams) (adminapi.GCResult, error) {
		g := grace
		if p.Grace != nil {
			g = *p.Grace
		}
		var res adminapi.GCResult
		if p.Compact {
			var err error
			if res.Compacted, res.CompactedBytes, err = st.Compact(ctx); err != nil {
				return res, err
			}
		}
		s, err := st.GC(ctx, g)
		return adminapi.GCResult{
			Grace: g.String(), Compacted: res.Compacted, CompactedBytes: res.CompactedBytes,
			StagedBytes: st.Stats().StagedBytes, Noted: s.Noted, Repacked: s.Repacked, CopiedBytes: s.Copied, Blobs: s.Blobs, Chunks: s.Chunks, Packs: s.Packs,
			FreedBytes: s.Freed, DeadBytes: s.Dead,
		}, err
	}
}
