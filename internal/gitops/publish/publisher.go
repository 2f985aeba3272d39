package publish

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/keyed"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
)

// Index is what the publisher reads of the Git index; *gitindex.Indexer
// implements it.
type Index interface {
	ResolveRef(ctx context.Context, repo, ref string) (gitindex.Commit, error)
	Files(ctx context.Context, repo, sha string) ([]gitindex.File, error)
	Refs(ctx context.Context, repo string) ([]gitindex.Ref, error)
	Source(ctx context.Context, repo string) (gitindex.Source, error)
	Connected(ctx context.Context) ([]string, error)
}

var (
	_ Index = (*gitindex.Indexer)(nil)
	_ Store = (*store.Store)(nil)
)

// Store is what the publisher needs of the blob store; *store.Store
// implements it.
type Store interface {
	Stat(ctx context.Context, repo string, d digest.Digest) (store.BlobInfo, error)
	PutConcat(ctx context.Context, repo string, parts []store.Part) (store.BlobInfo, error)
}

// ErrPending reports a publication that waits for LFS objects.
var ErrPending = errors.New("publish: waiting for LFS objects")

// Publisher publishes Git tags and commits as OCI artifacts. Set the
// exported fields before first use; the zero value of the rest is ready.
// Background work (OnSync, ObjectLinked, Reconcile) runs in Run.
type Publisher struct {
	Index    Index
	Store    Store
	Registry *oci.Registry
	// DB, if set, remembers the image tar layers built, so a file that is
	// unchanged between versions is not hashed again (table of migration
	// 0008_publish.sql).
	DB *db.DB
	// NoImage turns off the image-compatible form.
	NoImage bool
	Log     *slog.Logger

	mu      sync.Mutex
	locks   keyed.Mutex                 // per repository: one publication at a time
	pending map[string]map[job]*waiting // per repository
	queue   []job
	queued  map[job]bool
	wake    chan struct{}
}

// init makes the zero value usable; p.mu must be held.
func (p *Publisher) init() {
	if p.wake != nil {
		return
	}
	p.pending = make(map[string]map[job]*waiting)
	p.queued = make(map[job]bool)
	p.wake = make(chan struct{}, 1)
}

// lock serialises publications in repo and returns the unlock.
func (p *Publisher) lock(repo string) func() { return p.locks.Lock(repo) }

func (p *Publisher) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}
