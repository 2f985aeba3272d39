package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/store"
)

// housekeeping is the periodic clean-up of the store and the pull log.
type housekeeping struct {
	store     *store.Store
	pulls     *pulllog.Recorder
	every     time.Duration // how often
	grace     time.Duration // for store.GC
	retention time.Duration // of the pull log; 0: for ever
	log       *slog.Logger
}

// run removes leftovers of failed or crashed uploads, data that nothing
// references any more (store.GC) and pulls older than the retention, at
// start and then every interval, until ctx is done.
func (h housekeeping) run(ctx context.Context) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		h.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h housekeeping) once(ctx context.Context) {
	st, log := h.store, h.log
	if n, err := st.ReapOrphans(ctx); err != nil && ctx.Err() == nil {
		log.Warn("reaping orphan packs", "err", err)
	} else if n > 0 {
		log.Info("reaped orphan packs", "count", n)
	}
	if gc, err := st.GC(ctx, h.grace); err != nil && ctx.Err() == nil {
		log.Warn("garbage collection", "err", err)
	} else if gc.Blobs+gc.Chunks+gc.Repacked+gc.Packs > 0 {
		log.Info("garbage collection", "blobs", gc.Blobs, "chunks", gc.Chunks, "repacked", gc.Repacked,
			"copied_bytes", gc.Copied, "packs", gc.Packs, "freed_bytes", gc.Freed, "dead_bytes_left", gc.Dead)
	}
	if h.retention <= 0 {
		return
	}
	if n, err := h.pulls.Prune(ctx, time.Now().Add(-h.retention)); err != nil && ctx.Err() == nil {
		log.Warn("pruning the pull log", "err", err)
	} else if n > 0 {
		log.Info("pruned the pull log", "pulls", n, "older_than", h.retention)
	}
}
