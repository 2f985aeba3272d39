package server

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
)

// TestHousekeepingPrunesPullLog: one housekeeping pass drops pulls older
// than the retention and keeps the others; a retention of 0 keeps all.
func TestHousekeepingPrunesPullLog(t *testing.T) {
	ctx := context.Background()
	d, st := newTestStore(t)
	log := slog.New(slog.DiscardHandler)
	pulls := pulllog.New(d, pulllog.Options{Logger: log})
	for _, age := range []time.Duration{time.Hour, 48 * time.Hour, 72 * time.Hour} {
		pulls.Record(pulllog.PullEvent{Time: time.Now().Add(-age), Repo: "ml/a", Digest: "sha256:" + strings.Repeat("a", 64),
			Kind: pulllog.Blob, Protocol: pulllog.LFS, User: "alice"})
	}
	if err := pulls.Close(); err != nil { // flushes
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM pulls`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	hk := housekeeping{store: st, pulls: pulls, every: time.Hour, grace: time.Hour, log: log}
	hk.once(ctx)
	if n := count(); n != 3 {
		t.Fatalf("retention 0 left %d of 3 pulls", n)
	}
	hk.retention = 24 * time.Hour
	hk.once(ctx)
	if n := count(); n != 1 {
		t.Fatalf("a 24 h retention left %d pulls, want the one an hour old", n)
	}
}
