package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/httpapi/adminapi"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/config"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/metrics"
	"github.com/ballastml/ballast/lfsserver"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/local"
)

func newLogger(c config.Serve) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", c.LogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
}

// Run builds the server from c and serves until ctx is done or a signal
// (SIGINT, SIGTERM) arrives.
func Run(ctx context.Context, c config.Serve) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(c.Data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	database, err := db.OpenSQLite(ctx, filepath.Join(c.Data, "meta.db"))
	if err != nil {
		return err
	}
	defer database.Close()
	backend, err := local.New(filepath.Join(c.Data, "objects"))
	if err != nil {
		return err
	}
	opts := store.Options{Logger: log, UploadMemory: int64(c.UploadMemory)}
	if c.InlineDedup {
		opts.StageMin = -1
	}
	st, err := store.New(backend, database, opts)
	if err != nil {
		return err
	}
	defer st.Close()

	tokens := auth.NewTokens(database)
	generated, err := tokens.EnsureAdmin(ctx, os.Getenv("BALLAST_ADMIN_TOKEN"))
	if err != nil {
		return fmt.Errorf("admin token (BALLAST_ADMIN_TOKEN): %w", err)
	}
	if generated != "" {
		fmt.Fprintf(os.Stderr, "\nFirst start: created an admin token. It is shown only this once:\n\n    %s\n\nKeep it safe; create scoped tokens with `ballast token create`.\n\n", generated)
	}
	key, err := auth.LoadOrCreateKey(ctx, database, "registry-token")
	if err != nil {
		return fmt.Errorf("registry token key: %w", err)
	}
	registryTokens := auth.NewRegistryTokens(key, registryTokenTTL)
	authn := auth.NewAuthenticator(tokens, c.AnonymousRead).WithRegistryTokens(registryTokens)

	if c.DebugAddr != "" {
		go serveDebug(c.DebugAddr, log)
	}
	m := metrics.New(st.Stats)
	m.AddDamage(st.Damage)
	if c.MetricsAddr != "" {
		go serveMetrics(c.MetricsAddr, m, log)
	}

	pulls := pulllog.New(database, pulllog.Options{Logger: log})
	defer pulls.Close()

	// The background loops stop, and are waited for, before the pull log,
	// the store and the database close: deferred calls run last first.
	ctx, cancel := context.WithCancel(ctx)
	var loops sync.WaitGroup
	defer func() {
		cancel()
		loops.Wait()
	}()
	hk := housekeeping{store: st, pulls: pulls, every: c.ReapInterval.Duration, grace: c.GCGrace.Duration,
		retention: c.PullLogRetention.Duration, log: log}
	loops.Go(func() { hk.run(ctx) })
	loops.Go(func() { st.RunCompactor(ctx) })
	var git *gitops // set before the server starts; the registry asks it for git-<sha12> tags
	reg := oci.NewRegistry(oci.Config{
		Store: st, Auth: authn, Tokens: registryTokens, DB: database, PublicURL: c.PublicURL,
		AllowSparseManifests: c.AllowSparseManifests, Pulls: pulls, Logger: log,
		TagFallback: func(ctx context.Context, repo, tag string) (bool, error) {
			return git.publishCommitTag(ctx, repo, tag)
		},
	})
	allow, err := c.GitAllowPrefixes()
	if err != nil {
		return err
	}
	gitindex.GuardHTTP(gitindex.GuardOptions{AllowLoopback: c.GitAllowLoopback, Allow: allow})
	git, err = startGitOps(ctx, &loops, c.Data, c.GitPollInterval.Duration, database, st, reg, pulls, authn, log)
	if err != nil {
		return err
	}
	handler := NewRouter(Routes{
		Admin: adminapi.New(tokens, authn, GCFunc(st, c.GCGrace.Duration), log),
		API:   git.api,
		LFS: lfsserver.New(lfsserver.Config{
			Store: st, Auth: authn, DB: database, PublicURL: c.PublicURL, Pulls: pulls, Logger: log,
		}),
		OCI:          reg.Handler(),
		Log:          log,
		Metrics:      m,
		StallTimeout: c.UploadStallTimeout.Duration,
	})
	return listenAndServe(ctx, c, handler, log)
}

// registryTokenTTL is the lifetime of the tokens of the registry token flow:
// short, since they are bearer credentials that cannot be revoked one by one.
const registryTokenTTL = 5 * time.Minute

func listenAndServe(ctx context.Context, c config.Serve, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("ballast listening", "addr", ln.Addr().String(), "public_url", c.PublicURL, "data", c.Data)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

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
