package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/gitops/publish"
	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/httpapi/api"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/lease"
	"github.com/ballastml/ballast/lfsserver"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
)

// gitops is the Git side of the server: the indexer of connected
// repositories, the publisher that turns their tags into OCI artifacts, and
// the provenance API over both and the pull log.
type gitops struct {
	index *gitindex.Indexer
	pub   *publish.Publisher
	api   http.Handler
}

// startGitOps builds the Git side and starts its background loops in
// loops; they stop with ctx. The publish queue runs in every replica (its
// work comes from this replica's pushes and syncs, and publishing is
// idempotent); the Git poller runs where its lease is held.
func startGitOps(ctx context.Context, loops *sync.WaitGroup, leases *lease.Leases, dataDir string, poll time.Duration, database *db.DB, st *store.Store,
	reg *oci.Registry, pulls *pulllog.Recorder, authn *auth.Authenticator, log *slog.Logger) (*gitops, error) {
	idx := gitindex.New(database, filepath.Join(dataDir, "git"), log)
	pub := &publish.Publisher{Index: idx, Store: st, Registry: reg, DB: database, Log: log}
	st.Subscribe(pub.ObjectLinked)
	loops.Go(func() { pub.Run(ctx) })
	// Objects linked through another replica complete this replica's
	// pending publications within this long.
	loops.Go(func() { pub.RunRecheck(ctx, pendingRecheck) })
	if err := pub.Reconcile(ctx); err != nil {
		log.Warn("re-queueing published tags", "err", err)
	}
	loops.Go(func() {
		leases.Run(ctx, "git-poller", func(ctx context.Context) { idx.Run(ctx, poll, pub.OnSync) })
	})

	cursorKey, err := auth.LoadOrCreateKey(ctx, database, "api-cursor")
	if err != nil {
		return nil, err
	}
	g := &gitops{index: idx, pub: pub}
	g.api = api.New(api.Config{
		Index: idx, Pulls: pulls, Auth: authn, CursorKey: cursorKey, Logger: log,
		Published: g.published(reg),
		Repos:     st.Repos, RepoExists: st.RepoExists, CreateRepo: st.CreateRepo,
		Usage: st.Usage, ReposUsage: st.ReposUsage, Manifests: reg.ManifestsByDigest,
		DeleteRepo: deleteRepo(idx, reg, st, database),
		Pending:    g.pending,
		Sync:       g.sync,
	})
	return g, nil
}

// deleteRepo deletes a repository from every part that holds some of it,
// each through its own package: its Git connection, index and mirror; its
// manifests and tags; its locks; then its links and upload sessions and
// the repository itself, last, so that a failure part way leaves it listed
// and the deletion can be run again. The pull log keeps its history.
func deleteRepo(idx *gitindex.Indexer, reg *oci.Registry, st *store.Store, d *db.DB) func(ctx context.Context, repo string) (bool, error) {
	return func(ctx context.Context, repo string) (bool, error) {
		exists, err := st.RepoExists(ctx, repo)
		if err != nil {
			return false, err
		}
		if _, err := idx.Source(ctx, repo); err == nil {
			exists = true // connected to Git, though nothing was pushed
		}
		if !exists {
			return false, nil
		}
		if err := idx.Disconnect(ctx, repo); err != nil && !errors.Is(err, gitindex.ErrNotConnected) {
			return true, err
		}
		if err := reg.DeleteRepo(ctx, repo); err != nil {
			return true, err
		}
		if err := lfsserver.DeleteLocks(ctx, d, repo); err != nil {
			return true, err
		}
		_, err = st.DeleteRepo(ctx, repo)
		return true, err
	}
}

// pendingRecheck is how often pending publications look in the store for
// the objects they miss.
const pendingRecheck = 30 * time.Second

// pending lists the publications of repo waiting for LFS objects.
func (g *gitops) pending(ctx context.Context, repo string) ([]api.Pending, error) {
	tags, err := g.pub.Pending(ctx, repo)
	if err != nil {
		return nil, err
	}
	out := make([]api.Pending, len(tags))
	for i, t := range tags {
		out[i] = api.Pending{Tag: t.Tag, Commit: t.Commit, Missing: t.Missing, Since: t.Since}
	}
	return out, nil
}

// sync fetches and indexes repo now (the webhook) and queues what changed
// for publishing.
func (g *gitops) sync(ctx context.Context, repo string) (gitindex.SyncResult, error) {
	res, err := g.index.Sync(ctx, repo)
	if err == nil {
		g.pub.OnSync(repo, res)
	}
	return res, err
}

// commitTagRE matches the OCI tag of a commit artifact, git-<sha12>.
var commitTagRE = regexp.MustCompile(`^git-[0-9a-f]{12}$`)

// publishCommitTag publishes the commit artifact git-<sha12> on demand, so
// every indexed commit is addressable without publishing thousands of
// manifests ahead of time. It reports whether the tag now exists.
func (g *gitops) publishCommitTag(ctx context.Context, repo, tag string) (bool, error) {
	if !commitTagRE.MatchString(tag) {
		return false, nil
	}
	_, err := g.pub.PublishRef(ctx, repo, strings.TrimPrefix(tag, "git-"))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, gitindex.ErrNotConnected), errors.Is(err, gitindex.ErrUnknownRef), errors.Is(err, publish.ErrPending):
		return false, nil // unknown commit, or its objects are not all here yet: 404
	}
	return false, err
}

// published finds the manifest a ref was published as: a Git tag under its
// (mapped) name, any commit as git-<sha12>. A Git tag that the publisher
// published (it matches the source's tag pattern and its commit artifact
// exists) but whose OCI tag is gone was deleted by hand: that is reported
// as MissingTag.
func (g *gitops) published(reg *oci.Registry) func(ctx context.Context, repo, ref string) (api.Publication, error) {
	return func(ctx context.Context, repo, ref string) (api.Publication, error) {
		c, err := g.index.ResolveRef(ctx, repo, ref)
		if err != nil {
			return api.Publication{}, err
		}
		var tagged string // the OCI tag of the Git tag ref names, if it names one
		if !strings.HasPrefix(ref, "refs/heads/") {
			// ResolveRef prefers tags to branches, and so does this lookup.
			gitTag := strings.TrimPrefix(ref, "refs/tags/")
			if t, err := g.index.ResolveRef(ctx, repo, "refs/tags/"+gitTag); err == nil && t.SHA == c.SHA {
				tagged = modelpack.Tag(gitTag, "")
			}
		}
		var pub api.Publication
		for _, tag := range []string{tagged, modelpack.CommitTag(c.SHA)} {
			if tag == "" {
				continue
			}
			d, err := reg.ResolveTag(ctx, repo, tag)
			if errors.Is(err, oci.ErrUnknown) {
				if tag == tagged {
					pub.MissingTag = tag
				}
				continue
			}
			if err != nil {
				return api.Publication{}, err
			}
			pub.Digest, pub.Tag = d.String(), tag
			break
		}
		if pub.Digest == "" || !g.publishes(ctx, repo, ref) {
			pub.MissingTag = "" // never published, or not under that tag
		}
		return pub, nil
	}
}

// publishes reports whether the publisher publishes ref of repo as an OCI
// tag: it names a Git tag that the source's tag pattern matches.
func (g *gitops) publishes(ctx context.Context, repo, ref string) bool {
	src, err := g.index.Source(ctx, repo)
	return err == nil && src.MatchTag(strings.TrimPrefix(ref, "refs/tags/"))
}
