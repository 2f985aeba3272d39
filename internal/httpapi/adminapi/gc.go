package adminapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ballastml/ballast/internal/platform/httpx"
)

// GCPath runs a garbage collection pass.
const GCPath = "/api/v1/gc"

// GCRequest is the optional body of POST /api/v1/gc.
type GCRequest struct {
	// Grace overrides the server's --gc-grace for this pass, in Go's
	// duration syntax; "0s" deletes what is unreferenced now.
	Grace string `json:"grace,omitempty"`
	// Compact compacts the staged uploads first, now, instead of leaving
	// them to the background compactor (which waits for idle moments).
	Compact bool `json:"compact,omitempty"`
}

// GCParams is what a GCFunc is asked to do.
type GCParams struct {
	Grace   *time.Duration // nil: the server's --gc-grace
	Compact bool
}

// GCResult is the response: what the pass removed and what it left.
type GCResult struct {
	Grace string `json:"grace"` // the grace the pass used
	// Staged uploads compacted (chunked, deduplicated and packed) first,
	// when the request asked for it.
	Compacted      int   `json:"compacted"`
	CompactedBytes int64 `json:"compacted_bytes"`
	// StagedBytes is the size of the staged uploads still waiting for
	// the background compactor after the pass, uploads still being
	// received included.
	StagedBytes int64 `json:"staged_bytes"`
	Noted       int   `json:"noted"`  // blobs newly found linked nowhere
	Blobs       int   `json:"blobs"`  // blobs deleted
	Chunks      int   `json:"chunks"` // chunks forgotten
	// Repacked mostly dead packs: their live chunks copied to new packs.
	Repacked    int   `json:"repacked_packs"`
	CopiedBytes int64 `json:"copied_bytes"`
	Packs       int   `json:"packs"`       // pack objects deleted
	FreedBytes  int64 `json:"freed_bytes"` // size of those packs
	// DeadBytes are unreferenced bytes left in packs that are at least
	// half live (those are not repacked).
	DeadBytes int64 `json:"dead_bytes"`
}

// GCFunc runs one pass as the parameters say.
type GCFunc func(ctx context.Context, p GCParams) (GCResult, error)

var errInvalidGrace = errors.New("invalid grace")

func (a *api) runGC(w http.ResponseWriter, r *http.Request) {
	var req GCRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	p := GCParams{Compact: req.Compact}
	if req.Grace != "" {
		d, err := time.ParseDuration(req.Grace)
		if err != nil || d < 0 {
			a.fail(w, r, fmt.Errorf("%w: %q: want a duration of 0s or more, such as \"0s\" or \"30m\"", errInvalidGrace, req.Grace))
			return
		}
		p.Grace = &d
	}
	res, err := a.gc(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "garbage collection run", "by", caller(r), "grace", res.Grace,
		"compacted", res.Compacted, "blobs", res.Blobs, "chunks", res.Chunks, "packs", res.Packs, "freed_bytes", res.FreedBytes)
	httpx.WriteJSON(w, http.StatusOK, res)
}
