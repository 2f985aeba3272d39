package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/name"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
)

// Config configures the API. Index, Pulls and Auth are required.
type Config struct {
	Index *gitindex.Indexer
	Pulls *pulllog.Recorder
	Auth  auth.RequestAuthenticator
	// Published says what ref of repo was published as (Publication), or
	// returns the zero Publication if it was not; ref is as the client gave
	// it (a tag, branch, commit sha or sha prefix). Nil: the manifest
	// fields are never shown.
	Published func(ctx context.Context, repo, ref string) (Publication, error)
	// Pending lists repo's publications waiting for LFS objects. Nil: the
	// pending field is always empty.
	Pending func(ctx context.Context, repo string) ([]Pending, error)
	// Sync fetches and indexes repo (and publishes what changed). Nil:
	// Index.Sync.
	Sync func(ctx context.Context, repo string) (gitindex.SyncResult, error)
	// Repos lists repository names after after, in name order (the
	// store's Repos). Nil: GET /api/v1/repos lists none.
	Repos func(ctx context.Context, after string, limit int) ([]string, error)
	// RepoExists reports whether a repository exists, and CreateRepo
	// creates one (false: it existed). Nil: GET /api/v1/repos/{repo}
	// finds none, PUT answers 405.
	RepoExists func(ctx context.Context, repo string) (bool, error)
	CreateRepo func(ctx context.Context, repo string) (bool, error)
	// DeleteRepo deletes a repository and everything it holds, and
	// reports whether it existed. Nil: DELETE answers 405.
	DeleteRepo func(ctx context.Context, repo string) (bool, error)
	// Manifests lists the repositories holding an OCI manifest with a
	// digest, with its tags (the registry's ManifestsByDigest). Nil: the
	// digest endpoint shows Git occurrences only.
	Manifests func(ctx context.Context, d digest.Digest) ([]oci.ManifestRef, error)
	// Usage adds up the whole store and ReposUsage given repositories
	// (the store's). Nil: GET /api/v1/stats answers 404.
	Usage      func(ctx context.Context) (store.Usage, error)
	ReposUsage func(ctx context.Context, repos []string) ([]store.RepoUsage, error)
	// CursorKey encrypts the cursors of /api/v1/digests, which span
	// repositories. Give every replica the same key (for instance
	// auth.LoadOrCreateKey(ctx, db, "api-cursor")); nil: a random key, and
	// those cursors last as long as the process.
	CursorKey []byte
	Logger    *slog.Logger
}

type api struct {
	Config
	log    *slog.Logger
	routes map[endpoint]map[string]handler
	cursor sealer
}

// New returns the API handler. It answers every path under Prefix but
// /api/v1/tokens, which adminapi serves:
//
//	mux.Handle(api.Prefix, h)
func New(cfg Config) http.Handler {
	if cfg.Index == nil || cfg.Pulls == nil || cfg.Auth == nil {
		panic("api: Config.Index, Config.Pulls and Config.Auth are required")
	}
	a := &api{Config: cfg, log: cfg.Logger, cursor: newSealer(cfg.CursorKey)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.Sync == nil {
		a.Sync = a.Index.Sync
	}
	a.routes = a.handlers()
	return a
}

const (
	reposPrefix   = Prefix + "repos/"
	reposPath     = Prefix + "repos"
	digestsPrefix = Prefix + "digests/"
	pullsPath     = Prefix + "pulls"
	statsPath     = Prefix + "stats"
)

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := a.serve(w, r); err != nil {
		a.fail(w, r, err)
	}
}

// serve authenticates, routes and authorizes a request, in that order.
func (a *api) serve(w http.ResponseWriter, r *http.Request) error {
	id, err := a.authenticate(r)
	if err != nil {
		return err
	}
	r = r.WithContext(auth.WithIdentity(r.Context(), id))
	rt, ok := parseRoute(r.URL.EscapedPath())
	if !ok {
		return fmt.Errorf("%w: %s", errNotFound, r.URL.Path)
	}
	hs := a.routes[rt.ep]
	h, ok := hs[r.Method]
	if !ok {
		w.Header().Set("Allow", allowed(hs))
		return fmt.Errorf("%w: %s %s (allowed: %s)", errMethod, r.Method, r.URL.Path, allowed(hs))
	}
	if h.level != auth.None {
		if err := name.ValidateRepo(rt.repo); err != nil {
			return err
		}
		if err := require(r, rt.repo, h.level); err != nil {
			return err
		}
	}
	return h.serve(w, r, rt)
}

// authenticate identifies the caller. Git hosts that cannot send an
// Authorization header with a webhook (GitLab) send the token as
// X-Gitlab-Token, which is accepted in its place.
func (a *api) authenticate(r *http.Request) (*auth.Identity, error) {
	if t := r.Header.Get("X-Gitlab-Token"); t != "" && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+t)
	}
	id, err := a.Auth.Authenticate(r)
	if err == nil && id == nil {
		err = auth.ErrNoCredentials
	}
	return id, err
}

// require checks that the caller holds level l on repo (auth.Require).
func require(r *http.Request, repo string, l auth.Level) error {
	return auth.Require(auth.FromContext(r.Context()), repo, l)
}
