package main

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ballastml/ballast/internal/platform/config"
	"github.com/ballastml/ballast/internal/server"
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
			return server.Run(cmd.Context(), resolved)
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
	f.StringVar(&cfg.DB, "db", "", "metadata database: postgres://USER@HOST[:PORT]/DATABASE for PostgreSQL (a password is better in PGPASSWORD or ~/.pgpass than in the URL); default SQLite in the data directory (env "+config.Env["db"]+")")
	f.StringVar(&cfg.Store, "store", "", "where objects are kept: s3://BUCKET[/PREFIX] for an S3-compatible store; default the data directory. S3 credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared credentials file or IAM, never from flags (env "+config.Env["store"]+")")
	f.StringVar(&cfg.S3Endpoint, "s3-endpoint", "", "URL of the S3 server, e.g. http://127.0.0.1:9000; default AWS; AWS_ENDPOINT_URL_S3 works too (env "+config.Env["s3-endpoint"]+")")
	f.StringVar(&cfg.S3Region, "s3-region", "", "region of the bucket; AWS_REGION works too (env "+config.Env["s3-region"]+")")
	f.BoolVar(&cfg.S3PathStyle, "s3-path-style", false, "address the bucket in the URL path, as MinIO and most self-hosted S3 servers need (env "+config.Env["s3-path-style"]+")")
	f.StringVar(&cfg.S3CAFile, "s3-ca-file", "", "PEM file of CA certificates to trust for the S3 endpoint (env "+config.Env["s3-ca-file"]+")")
	f.StringVar(&cfg.PublicURL, "public-url", "", "URL clients use to reach this server; default http://ADDR (env "+config.Env["public-url"]+")")
	f.BoolVar(&cfg.AnonymousRead, "anonymous-read", false, "allow reads without a token (env "+config.Env["anonymous-read"]+")")
	f.StringVar(&cfg.CreateRepos, "create-repos", cfg.CreateRepos, "who creates a repository by pushing to a name that does not exist: admin (tokens with admin on the name), write (any token that may write it) or never (only ballast repo create); others get 404 (env "+config.Env["create-repos"]+")")
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
	f.DurationVar(&cfg.JobLease.Duration, "job-lease", cfg.JobLease.Duration, "lifetime of a background job's lease in the database: with several replicas, one runs each job (GC, compactor, Git poller) and another takes over a dead one's within about this long (env "+config.Env["job-lease"]+")")
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
		"db":                     func() { c.DB = fromFlags.DB },
		"store":                  func() { c.Store = fromFlags.Store },
		"s3-endpoint":            func() { c.S3Endpoint = fromFlags.S3Endpoint },
		"s3-region":              func() { c.S3Region = fromFlags.S3Region },
		"s3-path-style":          func() { c.S3PathStyle = fromFlags.S3PathStyle },
		"s3-ca-file":             func() { c.S3CAFile = fromFlags.S3CAFile },
		"public-url":             func() { c.PublicURL = fromFlags.PublicURL },
		"anonymous-read":         func() { c.AnonymousRead = fromFlags.AnonymousRead },
		"create-repos":           func() { c.CreateRepos = fromFlags.CreateRepos },
		"log-level":              func() { c.LogLevel = fromFlags.LogLevel },
		"log-format":             func() { c.LogFormat = fromFlags.LogFormat },
		"reap-interval":          func() { c.ReapInterval = fromFlags.ReapInterval },
		"git-poll-interval":      func() { c.GitPollInterval = fromFlags.GitPollInterval },
		"gc-grace":               func() { c.GCGrace = fromFlags.GCGrace },
		"job-lease":              func() { c.JobLease = fromFlags.JobLease },
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
