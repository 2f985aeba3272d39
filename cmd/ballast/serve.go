package main

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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

func newServeCmd() *cobra.Command {
	var configFile string
	cfg := config.Defaults()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the ballast server (Git LFS API, OCI registry, provenance and admin API)",
		Long: `Run the ballast server. With no flags it keeps everything under ./.data
(local disk and an embedded SQLite database) and listens on 127.0.0.1:8080.

Settings come from, in increasing precedence: defaults, --config FILE (JSON
with the keys addr, data, public_url, anonymous_read, log_level, log_format,
reap_interval, git_poll_interval, git_allow_loopback, git_allow_addrs, gc_grace,
pull_log_retention, debug_addr,
metrics_addr, allow_sparse_manifests, inline_dedup, upload_stall_timeout,
upload_memory), BALLAST_* environment variables, and flags.

The first admin token is BALLAST_ADMIN_TOKEN if set; otherwise one is
generated on first start and printed once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resolved, err := resolveServeConfig(cmd.Flags(), cfg, configFile)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), resolved)
		},
	}
	bindServeFlags(cmd.Flags(), &cfg, &configFile)
	return cmd
}

// bindServeFlags defines serve's flags on f, writing into cfg and file.
// Every setting but the config file has an environment variable in
// config.Env and an entry in resolveServeConfig.
func bindServeFlags(f *pflag.FlagSet, cfg *config.Serve, configFile *string) {
	f.StringVar(configFile, "config", "", "JSON config file")
	f.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (env "+config.Env["addr"]+")")
	f.StringVar(&cfg.Data, "data", cfg.Data, "data directory (env "+config.Env["data"]+")")
	f.StringVar(&cfg.PublicURL, "public-url", "", "URL clients use to reach this server; default http://ADDR (env "+config.Env["public-url"]+")")
	f.BoolVar(&cfg.AnonymousRead, "anonymous-read", false, "allow reads without a token (env "+config.Env["anonymous-read"]+")")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (env "+config.Env["log-level"]+")")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json (env "+config.Env["log-format"]+")")
	f.BoolVar(&cfg.AllowSparseManifests, "allow-sparse-manifests", false, "accept OCI manifests whose referenced blobs are not all present, for partial multi-platform mirrors (env "+config.Env["allow-sparse-manifests"]+")")
	f.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics (/metrics) on this address, e.g. 127.0.0.1:9090 (env "+config.Env["metrics-addr"]+")")
	f.StringVar(&cfg.DebugAddr, "debug-addr", "", "serve Go profiling handlers (/debug/pprof/) on this address, e.g. 127.0.0.1:6060 (env "+config.Env["debug-addr"]+")")
	f.BoolVar(&cfg.GitAllowLoopback, "git-allow-loopback", false, "let http(s) Git sources be fetched from this machine (its loopback addresses and its own interfaces' addresses); link-local and metadata addresses stay refused (env "+config.Env["git-allow-loopback"]+")")
	f.StringSliceVar(&cfg.GitAllowAddrs, "git-allow-addr", nil, "an address or CIDR network that http(s) Git sources may be fetched from although it is this machine's or otherwise refused, e.g. a Git server on this host; repeat or separate with commas (env "+config.Env["git-allow-addr"]+")")
	f.DurationVar(&cfg.GitPollInterval.Duration, "git-poll-interval", cfg.GitPollInterval.Duration, "how often connected Git repositories are fetched and indexed (env "+config.Env["git-poll-interval"]+")")
	f.DurationVar(&cfg.ReapInterval.Duration, "reap-interval", cfg.ReapInterval.Duration, "how often leftovers of failed uploads are reaped and unreferenced data garbage-collected (env "+config.Env["reap-interval"]+")")
	f.DurationVar(&cfg.PullLogRetention.Duration, "pull-log-retention", cfg.PullLogRetention.Duration, "how long pulls stay in the pull log; 0 keeps them for ever (env "+config.Env["pull-log-retention"]+")")
	f.BoolVar(&cfg.InlineDedup, "inline-dedup", false, "chunk and deduplicate every upload before answering it; by default uploads of 8 MiB or more are stored as they arrive and deduplicated in the background, which makes pushes faster but needs their size in free space until then (env "+config.Env["inline-dedup"]+")")
	f.DurationVar(&cfg.UploadStallTimeout.Duration, "upload-stall-timeout", cfg.UploadStallTimeout.Duration, "cut off a request body that sends less than 64 KiB in this long, and discard its partial upload; 0 turns it off (env "+config.Env["upload-stall-timeout"]+")")
	f.Var(&cfg.UploadMemory, "upload-memory", "memory all uploads may hold for their buffers at once; more uploads wait for room, and fail with 503 after a minute (env "+config.Env["upload-memory"]+")")
	f.DurationVar(&cfg.GCGrace.Duration, "gc-grace", cfg.GCGrace.Duration, "how long deleted blobs, and chunks and packs nothing uses, are kept before garbage collection removes them (env "+config.Env["gc-grace"]+")")
}

// resolveServeConfig layers defaults, config file, environment and the
// flags the user actually set, in that order.
func resolveServeConfig(flags *pflag.FlagSet, fromFlags config.Serve, file string) (config.Serve, error) {
	c := config.Defaults()
	if file != "" {
		if err := c.LoadFile(file); err != nil {
			return c, err
		}
	}
	if err := c.LoadEnv(os.Getenv); err != nil {
		return c, err
	}
	set := map[string]func(){
		"addr":                   func() { c.Addr = fromFlags.Addr },
		"data":                   func() { c.Data = fromFlags.Data },
		"public-url":             func() { c.PublicURL = fromFlags.PublicURL },
		"anonymous-read":         func() { c.AnonymousRead = fromFlags.AnonymousRead },
		"log-level":              func() { c.LogLevel = fromFlags.LogLevel },
		"log-format":             func() { c.LogFormat = fromFlags.LogFormat },
		"reap-interval":          func() { c.ReapInterval = fromFlags.ReapInterval },
		"git-poll-interval":      func() { c.GitPollInterval = fromFlags.GitPollInterval },
		"gc-grace":               func() { c.GCGrace = fromFlags.GCGrace },
		"pull-log-retention":     func() { c.PullLogRetention = fromFlags.PullLogRetention },
		"git-allow-loopback":     func() { c.GitAllowLoopback = fromFlags.GitAllowLoopback },
		"git-allow-addr":         func() { c.GitAllowAddrs = fromFlags.GitAllowAddrs },
		"debug-addr":             func() { c.DebugAddr = fromFlags.DebugAddr },
		"metrics-addr":           func() { c.MetricsAddr = fromFlags.MetricsAddr },
		"allow-sparse-manifests": func() { c.AllowSparseManifests = fromFlags.AllowSparseManifests },
		"inline-dedup":           func() { c.InlineDedup = fromFlags.InlineDedup },
		"upload-stall-timeout":   func() { c.UploadStallTimeout = fromFlags.UploadStallTimeout },
		"upload-memory":          func() { c.UploadMemory = fromFlags.UploadMemory },
	}
	flags.Visit(func(f *pflag.Flag) {
		if apply, ok := set[f.Name]; ok {
			apply()
		}
	})
	return c, c.Validate()
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

func serve(ctx context.Context, c config.Serve) error {
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
	handler := newRouter(routerDeps{
		admin: adminapi.New(tokens, authn, gcFunc(st, c.GCGrace.Duration), log),
		api:   git.api,
		lfs: lfsserver.New(lfsserver.Config{
			Store: st, Auth: authn, DB: database, PublicURL: c.PublicURL, Pulls: pulls, Logger: log,
		}),
		oci:          reg.Handler(),
		log:          log,
		metrics:      m,
		stallTimeout: c.UploadStallTimeout.Duration,
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
