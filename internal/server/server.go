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
	"github.com/ballastml/ballast/internal/platform/lease"
	"github.com/ballastml/ballast/internal/server/metrics"
	"github.com/ballastml/ballast/lfsserver"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/local"
	"github.com/ballastml/ballast/store/s3"
)

// Run builds the server from c and serves until ctx is done or a signal
// (SIGINT, SIGTERM) arrives. Everything it opened is closed when it
// returns: the background jobs stop and are waited for first, then the
// pull log, the store and the database.
func Run(ctx context.Context, c config.Serve) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The address is taken first: the commonest failed start (the port is
	// in use) then fails before anything is created.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	a, err := build(ctx, c, log)
	if err != nil {
		return err
	}
	defer a.close()
	return serveOn(ctx, ln, c, a.handler, a.acc.generated, log)
}

// app is the server, built: its HTTP handler, and what closes it.
type app struct {
	handler http.Handler
	acc     access
	closers []func() // run last first
}

// close stops the background jobs, waits for them, and closes the pull
// log, the store and the database, in that order.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// build opens the storage and builds every part of the server and its
// background jobs. On failure it closes what it opened, and revokes a first
// start's admin token, which was never shown, so that the next start makes
// and shows another.
func build(ctx context.Context, c config.Serve, log *slog.Logger) (a *app, err error) {
	a = &app{}
	defer func() {
		if err != nil {
			if a.acc.generated != "" {
				a.acc.revokeGenerated(log)
			}
			a.close()
		}
	}()
	database, st, err := openStorage(ctx, c, log)
	if err != nil {
		return a, err
	}
	a.closers = append(a.closers, func() { database.Close() }, func() { st.Close() })
	if a.acc, err = openAuth(ctx, database, c.AnonymousRead); err != nil {
		return a, err
	}
	m := startMonitoring(c, st, log)
	pulls := pulllog.New(database, pulllog.Options{Logger: log})
	a.closers = append(a.closers, func() { pulls.Close() })

	ctx, cancel := context.WithCancel(ctx)
	var jobs sync.WaitGroup
	a.closers = append(a.closers, func() { cancel(); jobs.Wait() })
	leases, err := openLeases(ctx, database, c.JobLease.Duration, log)
	if err != nil {
		return a, err
	}
	hk := housekeeping{store: st, pulls: pulls, every: c.ReapInterval.Duration, grace: c.GCGrace.Duration,
		retention: c.PullLogRetention.Duration, log: log}
	jobs.Go(func() { leases.Run(ctx, "housekeeping", hk.run) })
	jobs.Go(func() { leases.Run(ctx, "compactor", st.RunCompactor) })

	policy, err := auth.ParseCreatePolicy(c.CreateRepos)
	if err != nil {
		return a, err
	}
	create := &auth.Creation{Policy: policy, Exists: st.RepoExists}
	reg := oci.NewRegistry(oci.Config{
		Store: st, Auth: a.acc.authn, Tokens: a.acc.registry, DB: database, PublicURL: c.PublicURL,
		AllowSparseManifests: c.AllowSparseManifests, Pulls: pulls, Logger: log, Create: create,
	})
	if err := guardGit(c); err != nil {
		return a, err
	}
	git, err := startGitOps(ctx, &jobs, leases, c.Data, c.GitPollInterval.Duration, database, st, reg, pulls, a.acc.authn, log)
	if err != nil {
		return a, err
	}
	a.handler = NewRouter(Routes{
		Admin: adminapi.New(a.acc.tokens, a.acc.authn, GCFunc(st, c.GCGrace.Duration), log),
		API:   git.api,
		LFS: lfsserver.New(lfsserver.Config{
			Store: st, Auth: a.acc.authn, DB: database, PublicURL: c.PublicURL, Pulls: pulls, Logger: log,
			Create: create,
		}),
		OCI:          reg.Handler(git.publishCommitTag),
		Log:          log,
		Metrics:      m,
		StallTimeout: c.UploadStallTimeout.Duration,
		Ready:        database.PingContext,
	})
	return a, nil
}

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

// openStorage opens the metadata database and the store on the local
// backend under the data directory.
func openStorage(ctx context.Context, c config.Serve, log *slog.Logger) (*db.DB, *store.Store, error) {
	if err := os.MkdirAll(c.Data, 0o750); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	database, err := openDB(ctx, c, log)
	if err != nil {
		return nil, nil, err
	}
	backend, err := openBackend(ctx, c, log)
	if err != nil {
		database.Close()
		return nil, nil, err
	}
	opts := store.Options{Logger: log, UploadMemory: int64(c.UploadMemory)}
	if c.InlineDedup {
		opts.StageMin = -1
	}
	st, err := store.New(backend, database, opts)
	if err != nil {
		database.Close()
		return nil, nil, err
	}
	return database, st, nil
}

// openLeases returns the leases that give each background job to one
// replica at a time. An SQLite database serves this process alone, so the
// leases of earlier processes, all gone, are dropped.
func openLeases(ctx context.Context, database *db.DB, ttl time.Duration, log *slog.Logger) (*lease.Leases, error) {
	l := lease.New(database, ttl, log)
	if database.Dialect == db.SQLite {
		if err := l.Forget(ctx); err != nil {
			return nil, fmt.Errorf("job leases: %w", err)
		}
	}
	return l, nil
}

// openDB opens the metadata database: SQLite in the data directory, or the
// PostgreSQL database of c.DB.
func openDB(ctx context.Context, c config.Serve, log *slog.Logger) (*db.DB, error) {
	if c.DB == "" {
		return db.OpenSQLite(ctx, filepath.Join(c.Data, "meta.db"))
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	d, err := db.OpenPostgres(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	log.Info("metadata in PostgreSQL")
	return d, nil
}

// openBackend opens where objects are kept: the data directory, or the S3
// bucket of c.Store, checked now so that a wrong bucket, credentials,
// clock or region stop the start with a message rather than the first push.
func openBackend(ctx context.Context, c config.Serve, log *slog.Logger) (store.Backend, error) {
	if c.Store == "" {
		return local.New(filepath.Join(c.Data, "objects"))
	}
	bucket, prefix, err := s3.ParseURL(c.Store)
	if err != nil {
		return nil, err
	}
	b, err := s3.New(s3.Config{Bucket: bucket, Prefix: prefix, Endpoint: c.S3Endpoint, Region: c.S3Region,
		PathStyle: c.S3PathStyle, CAFile: c.S3CAFile})
	if err != nil {
		return nil, err
	}
	if err := b.Check(ctx); err != nil {
		return nil, err
	}
	log.Info("objects in S3", "store", b.String())
	return b, nil
}

// access is who may do what: the API tokens, the registry tokens of the
// token flow, and the authenticator that checks both.
type access struct {
	tokens    *auth.Tokens
	registry  *auth.RegistryTokens
	authn     *auth.Authenticator
	generated string // the admin token made by this first start, to show
}

// revokeGenerated revokes the admin token this start made, which was never
// shown.
func (a access) revokeGenerated(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := a.tokens.Lookup(ctx, a.generated)
	if err == nil {
		err = a.tokens.Revoke(ctx, id.TokenID)
	}
	if err != nil {
		log.Warn("revoking the admin token of a failed first start", "err", err)
	}
}

// openAuth makes the token store, ensures the first admin token
// (BALLAST_ADMIN_TOKEN, or one generated and printed on first start) and
// the registry token key.
func openAuth(ctx context.Context, database *db.DB, anonymousRead bool) (access, error) {
	tokens := auth.NewTokens(database)
	generated, err := tokens.EnsureAdmin(ctx, os.Getenv("BALLAST_ADMIN_TOKEN"))
	if err != nil {
		return access{}, fmt.Errorf("admin token (BALLAST_ADMIN_TOKEN): %w", err)
	}
	key, err := auth.LoadOrCreateKey(ctx, database, "registry-token")
	if err != nil {
		return access{}, fmt.Errorf("registry token key: %w", err)
	}
	registry := auth.NewRegistryTokens(key, registryTokenTTL)
	return access{tokens: tokens, registry: registry, generated: generated,
		authn: auth.NewAuthenticator(tokens, anonymousRead).WithRegistryTokens(registry)}, nil
}

// registryTokenTTL is the lifetime of the tokens of the registry token flow:
// short, since they are bearer credentials (revoking the API token they
// were obtained with stops them at once).
const registryTokenTTL = 5 * time.Minute

// startMonitoring makes the metrics and starts the debug and metrics
// listeners that c asks for.
func startMonitoring(c config.Serve, st *store.Store, log *slog.Logger) *metrics.Metrics {
	if c.DebugAddr != "" {
		go serveDebug(c.DebugAddr, log)
	}
	m := metrics.New(st.Stats)
	m.AddDamage(st.Damage)
	if c.MetricsAddr != "" {
		go serveMetrics(c.MetricsAddr, m, log)
	}
	return m
}

// guardGit restricts the addresses http(s) Git sources are fetched from.
func guardGit(c config.Serve) error {
	allow, err := c.GitAllowPrefixes()
	if err != nil {
		return err
	}
	gitindex.GuardHTTP(gitindex.GuardOptions{AllowLoopback: c.GitAllowLoopback, Allow: allow})
	return nil
}

// serveOn serves h on ln until ctx is done, then lets in-flight requests
// finish for up to 30 seconds. A first start's admin token is printed once
// the server is serving.
func serveOn(ctx context.Context, ln net.Listener, c config.Serve, h http.Handler, generated string, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("ballast listening", "addr", ln.Addr().String(), "public_url", c.PublicURL, "data", c.Data)
	if generated != "" {
		fmt.Fprintf(os.Stderr, "\nFirst start: created an admin token. It is shown only this once:\n\n    %s\n\nKeep it safe; create scoped tokens with `ballast token create`.\n\n", generated)
	}
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
