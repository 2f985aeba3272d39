package gitindex

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"sync/atomic"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/keyed"
)

// Indexer mirrors and indexes the Git repositories connected to ballast
// repositories. It is safe for concurrent use; syncs of one repository are
// serialised.
type Indexer struct {
	db  *db.DB
	dir string
	log *slog.Logger

	locks keyed.Mutex // per repository: one fetch or index at a time

	stats counters
}

// counters count work done, so tests can tell what a sync read.
type counters struct {
	walked    atomic.Int64 // commit objects read while looking for new commits
	reused    atomic.Int64 // listings taken from an indexed tree instead of computed
	blobsRead atomic.Int64 // blob contents read as pointer candidates
}

// New returns an Indexer keeping its mirrors under dir (<data>/git). A nil
// log logs to slog.Default().
func New(d *db.DB, dir string, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.Default()
	}
	return &Indexer{db: d, dir: dir, log: log}
}

// lock serialises work on one repository and returns its unlock.
func (x *Indexer) lock(repo string) func() { return x.locks.Lock(repo) }

// mirrorPath is where repo's bare mirror lives: <dir>/<repo>.git. Repository
// names are validated before they get here, so they hold no "..".
func (x *Indexer) mirrorPath(repo string) string {
	return filepath.Join(x.dir, filepath.FromSlash(repo)+".git")
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
