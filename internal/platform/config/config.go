package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// Serve is the configuration of the server.
type Serve struct {
	Addr string `json:"addr"` // listen address, host:port
	Data string `json:"data"` // data directory (metadata DB and objects)
	// DB is the metadata database: "" for SQLite in the data directory, or
	// a postgres:// URL.
	DB string `json:"db"`
	// Store is where objects are kept: "" for the data directory, or
	// s3://BUCKET[/PREFIX] for an S3-compatible object store.
	Store string `json:"store"`
	// S3Endpoint is the S3 server's URL (http(s)://host[:port]); "" for
	// AWS. S3Region is the bucket's region; S3PathStyle addresses the
	// bucket in the path (MinIO and most self-hosted stores); S3CAFile is
	// a PEM file of CAs to trust for the endpoint. Credentials are never
	// settings: they come from the environment, the shared credentials
	// file or IAM (store/s3).
	S3Endpoint    string `json:"s3_endpoint"`
	S3Region      string `json:"s3_region"`
	S3PathStyle   bool   `json:"s3_path_style"`
	S3CAFile      string `json:"s3_ca_file"`
	PublicURL     string `json:"public_url"`     // base URL clients reach the server at
	AnonymousRead bool   `json:"anonymous_read"` // allow reads without a token
	// CreateRepos says who creates a repository by pushing to a new name:
	// "admin" (admins of the name), "write" (any writer) or "never".
	CreateRepos  string   `json:"create_repos"`
	LogLevel     string   `json:"log_level"`     // debug, info, warn, error
	LogFormat    string   `json:"log_format"`    // text or json
	ReapInterval Duration `json:"reap_interval"` // how often leftovers are reaped
	// GitPollInterval is how often connected Git repositories are fetched.
	GitPollInterval Duration `json:"git_poll_interval"`
	// GitAllowLoopback lets Git sources be fetched from this machine's
	// loopback addresses (gitindex.GuardHTTP).
	GitAllowLoopback bool `json:"git_allow_loopback"`
	// GitAllowAddrs lists addresses and CIDR networks Git sources may be
	// fetched from whatever else they are (gitindex.GuardOptions.Allow).
	GitAllowAddrs []string `json:"git_allow_addrs"`
	// PullLogRetention is how long pulls stay in the pull log; 0 keeps
	// them for ever.
	PullLogRetention Duration `json:"pull_log_retention"`
	// JobLease is the lifetime of a background job's lease: with replicas,
	// another takes over a dead holder's jobs within about this long.
	JobLease Duration `json:"job_lease"`
	// GCGrace is how long garbage collection leaves unreferenced data.
	GCGrace     Duration `json:"gc_grace"`
	DebugAddr   string   `json:"debug_addr"`   // if set, serve Go's pprof handlers here
	MetricsAddr string   `json:"metrics_addr"` // if set, serve Prometheus metrics here
	// AllowSparseManifests accepts OCI manifests whose blobs are not all present.
	AllowSparseManifests bool `json:"allow_sparse_manifests"`
	// InlineDedup chunks and deduplicates every upload before answering
	// it, instead of staging large ones for the background compactor.
	InlineDedup bool `json:"inline_dedup"`
	// UploadStallTimeout cuts off a request body that delivers less than
	// 64 KiB (httpx.MinBodyBytes) in this long; 0 turns that off.
	UploadStallTimeout Duration `json:"upload_stall_timeout"`
	// UploadMemory bounds the buffers all uploads hold at once.
	UploadMemory Size `json:"upload_memory"`
}

// Defaults returns the embedded defaults: local disk and SQLite under ./.data.
func Defaults() Serve {
	return Serve{
		Addr:               "127.0.0.1:8080",
		Data:               ".data",
		CreateRepos:        "admin",
		LogLevel:           "info",
		LogFormat:          "text",
		ReapInterval:       Duration{10 * time.Minute},
		GitPollInterval:    Duration{time.Minute},
		GCGrace:            Duration{time.Hour},
		JobLease:           Duration{30 * time.Second},
		PullLogRetention:   Duration{90 * 24 * time.Hour},
		UploadStallTimeout: Duration{30 * time.Second},
		UploadMemory:       Size(256 << 20),
	}
}

// LoadFile overlays the JSON file at path onto c. Unknown keys are errors,
// so a typo does not silently fall back to a default.
func (c *Serve) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Env lists the environment variable behind each setting.
var Env = map[string]string{
	"addr":                   "BALLAST_ADDR",
	"data":                   "BALLAST_DATA",
	"db":                     "BALLAST_DB",
	"store":                  "BALLAST_STORE",
	"s3-endpoint":            "BALLAST_S3_ENDPOINT",
	"s3-region":              "BALLAST_S3_REGION",
	"s3-path-style":          "BALLAST_S3_PATH_STYLE",
	"s3-ca-file":             "BALLAST_S3_CA_FILE",
	"public-url":             "BALLAST_PUBLIC_URL",
	"anonymous-read":         "BALLAST_ANONYMOUS_READ",
	"create-repos":           "BALLAST_CREATE_REPOS",
	"log-level":              "BALLAST_LOG_LEVEL",
	"log-format":             "BALLAST_LOG_FORMAT",
	"reap-interval":          "BALLAST_REAP_INTERVAL",
	"git-poll-interval":      "BALLAST_GIT_POLL_INTERVAL",
	"gc-grace":               "BALLAST_GC_GRACE",
	"job-lease":              "BALLAST_JOB_LEASE",
	"pull-log-retention":     "BALLAST_PULL_LOG_RETENTION",
	"git-allow-loopback":     "BALLAST_GIT_ALLOW_LOOPBACK",
	"git-allow-addr":         "BALLAST_GIT_ALLOW_ADDRS",
	"debug-addr":             "BALLAST_DEBUG_ADDR",
	"metrics-addr":           "BALLAST_METRICS_ADDR",
	"allow-sparse-manifests": "BALLAST_ALLOW_SPARSE_MANIFESTS",
	"inline-dedup":           "BALLAST_INLINE_DEDUP",
	"upload-stall-timeout":   "BALLAST_UPLOAD_STALL_TIMEOUT",
	"upload-memory":          "BALLAST_UPLOAD_MEMORY",
}

// LoadEnv overlays the BALLAST_* variables that are set onto c.
func (c *Serve) LoadEnv(getenv func(string) string) error {
	str := map[string]*string{
		"addr": &c.Addr, "data": &c.Data, "public-url": &c.PublicURL,
		"log-level": &c.LogLevel, "log-format": &c.LogFormat, "debug-addr": &c.DebugAddr,
		"metrics-addr": &c.MetricsAddr, "create-repos": &c.CreateRepos,
		"db": &c.DB, "store": &c.Store, "s3-endpoint": &c.S3Endpoint, "s3-region": &c.S3Region, "s3-ca-file": &c.S3CAFile,
	}
	// The AWS variables, where ours are not set: AWS_ENDPOINT_URL_S3 (or
	// AWS_ENDPOINT_URL) and AWS_REGION (or AWS_DEFAULT_REGION).
	for _, v := range []struct {
		p    *string
		envs []string
	}{
		{&c.S3Endpoint, []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}},
		{&c.S3Region, []string{"AWS_REGION", "AWS_DEFAULT_REGION"}},
	} {
		for _, e := range v.envs {
			if val := getenv(e); val != "" {
				*v.p = val
				break
			}
		}
	}
	for key, p := range str {
		if v := getenv(Env[key]); v != "" {
			*p = v
		}
	}
	bools := map[string]*bool{
		"anonymous-read": &c.AnonymousRead, "allow-sparse-manifests": &c.AllowSparseManifests,
		"git-allow-loopback": &c.GitAllowLoopback, "inline-dedup": &c.InlineDedup,
		"s3-path-style": &c.S3PathStyle,
	}
	for key, p := range bools {
		if v := getenv(Env[key]); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s=%q: want true or false", Env[key], v)
			}
			*p = b
		}
	}
	durations := map[string]*time.Duration{
		"reap-interval": &c.ReapInterval.Duration, "git-poll-interval": &c.GitPollInterval.Duration,
		"gc-grace": &c.GCGrace.Duration, "pull-log-retention": &c.PullLogRetention.Duration,
		"job-lease":            &c.JobLease.Duration,
		"upload-stall-timeout": &c.UploadStallTimeout.Duration,
	}
	for key, p := range durations {
		if v := getenv(Env[key]); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q: %v", Env[key], v, err)
			}
			*p = d
		}
	}
	if v := getenv(Env["git-allow-addr"]); v != "" {
		c.GitAllowAddrs = strings.Split(v, ",")
	}
	if v := getenv(Env["upload-memory"]); v != "" {
		if err := c.UploadMemory.Set(v); err != nil {
			return fmt.Errorf("%s=%q: %v", Env["upload-memory"], v, err)
		}
	}
	return nil
}

// Validate checks the settings and fills PublicURL from Addr when unset.
func (c *Serve) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("addr is empty")
	}
	if c.Data == "" {
		return fmt.Errorf("data directory is empty")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("public URL %q: want http(s)://host[:port][/path]", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return fmt.Errorf("db %q: want postgres://USER@HOST[:PORT]/DATABASE, or nothing for SQLite in the data directory", c.DB)
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "s3://") {
		return fmt.Errorf("store %q: want s3://BUCKET[/PREFIX], or nothing for the data directory", c.Store)
	}
	switch c.CreateRepos {
	case "admin", "write", "never":
	default:
		return fmt.Errorf("create repos %q: want admin, write or never", c.CreateRepos)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	if c.JobLease.Duration < time.Second {
		return fmt.Errorf("job lease %s: want at least 1s", c.JobLease.Duration)
	}
	if c.ReapInterval.Duration <= 0 || c.GitPollInterval.Duration <= 0 {
		return fmt.Errorf("reap and git poll intervals must be positive")
	}
	if c.GCGrace.Duration < 0 || c.PullLogRetention.Duration < 0 || c.UploadStallTimeout.Duration < 0 {
		return fmt.Errorf("gc grace, pull log retention and upload stall timeout must not be negative")
	}
	if _, err := c.GitAllowPrefixes(); err != nil {
		return err
	}
	if c.UploadMemory < MinUploadMemory {
		return fmt.Errorf("upload memory %s: want at least %s", c.UploadMemory, MinUploadMemory)
	}
	return nil
}

// GitAllowPrefixes parses GitAllowAddrs: each an address (a network of one)
// or a CIDR network.
func (c *Serve) GitAllowPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.GitAllowAddrs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("git allowed address %q: want an IP address or a CIDR network such as 10.0.0.0/8", s)
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

// Duration is a time.Duration that a config file writes as a string in
// Go's duration syntax ("90s", "10m", "1h30m").
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a duration string; a bare number is refused, since
// its unit would be a guess.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"10m\" or \"90s\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration as a string, as UnmarshalJSON reads it.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// MinUploadMemory is the least upload memory a server may be given: room
// for a few uploads' buffers at once.
const MinUploadMemory = Size(32 << 20)

// Size is a number of bytes that a config file, a flag or an environment
// variable writes with a unit ("256MiB", "1GiB", "512MB") or as a plain
// number of bytes. It implements pflag.Value.
type Size int64

// Set parses s.
func (z *Size) Set(s string) error {
	n, err := humanize.ParseBytes(s)
	if err != nil || n > math.MaxInt64 {
		return fmt.Errorf("size %q: want a number of bytes, or one with a unit such as 256MiB or 1GiB", s)
	}
	*z = Size(n)
	return nil
}

// String writes z exactly, in the largest binary unit that divides it
// ("256MiB", "1536KiB", "1000"), so that Set reads back the same size.
func (z Size) String() string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if z != 0 && int64(z)%u.n == 0 {
			return strconv.FormatInt(int64(z)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(z), 10)
}

// Type names the flag's value for help texts.
func (z *Size) Type() string { return "size" }

// UnmarshalJSON accepts a size string or a number of bytes.
func (z *Size) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return z.Set(s)
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return fmt.Errorf("size %s: want a string such as \"256MiB\" or a number of bytes", b)
	}
	*z = Size(n)
	return nil
}

// MarshalJSON writes the size as UnmarshalJSON reads it.
func (z Size) MarshalJSON() ([]byte, error) { return json.Marshal(z.String()) }
