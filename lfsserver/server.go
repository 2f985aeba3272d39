package lfsserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/store"
)

// BlobStore is what the LFS server needs of the store; *store.Store
// implements it. Digests are "sha256:<hex>".
type BlobStore interface {
	// Put reads exactly size bytes from r, checks they hash to d and links
	// the blob to repo, creating repo. store.ErrDigestMismatch,
	// store.ErrSizeMismatch and store.ErrNoSpace classify refusals.
	Put(ctx context.Context, repo string, d digest.Digest, size int64, r io.Reader) (store.BlobInfo, error)
	// Stat describes blob d; store.ErrNotFound unless it is linked to repo.
	Stat(ctx context.Context, repo string, d digest.Digest) (store.BlobInfo, error)
	// Open reads length bytes of d from offset (length < 0: to the end).
	// The reader fails with store.ErrCorrupt if stored data does not verify.
	Open(ctx context.Context, repo string, d digest.Digest, offset, length int64) (io.ReadCloser, error)
	// RepoExists reports whether any blob was ever linked to repo.
	RepoExists(ctx context.Context, repo string) (bool, error)
	// CheckSpace returns store.ErrNoSpace if bytes more bytes do not fit.
	CheckSpace(ctx context.Context, bytes int64) error
}

// Config configures the LFS server. Store and Auth are required.
type Config struct {
	Store BlobStore
	Auth  auth.RequestAuthenticator
	// DB holds the locks. Without it the locking API answers 404, which
	// Git LFS clients read as "locking not supported".
	DB *db.DB
	// PublicURL is the base of action hrefs, e.g. https://models.example.com.
	// When empty, hrefs are built from the request's scheme and Host.
	PublicURL string
	// DocumentationURL, when set, is returned in every error body.
	DocumentationURL string
	Logger           *slog.Logger
	// MaxBatchObjects bounds the objects of one batch request (default 1000).
	MaxBatchObjects int
	// ActionExpiry is the advertised lifetime of transfer actions (default 1h).
	ActionExpiry time.Duration
	// Pulls records downloads in the pull log; nil: they are not recorded.
	Pulls PullRecorder
	// Create decides whether a push may create its repository; nil: every
	// writer may.
	Create *auth.Creation
}

const (
	defaultMaxBatchObjects = 1000
	defaultActionExpiry    = time.Hour
)

// server is the http.Handler returned by New.
type server struct {
	store   BlobStore
	auth    auth.RequestAuthenticator
	locks   *lockStore // nil when locking is off
	baseURL string
	docURL  string
	log     *slog.Logger
	maxObjs int
	expiry  time.Duration
	pulls   PullRecorder // nil when pulls are not recorded
	create  *auth.Creation
}

// New returns the Git LFS API handler. It serves every path of the form
// /{repo}.git/info/lfs/... and /{repo}/info/lfs/..., so it can be mounted at
// "/" behind more specific routes. New panics if Store or Auth is nil.
func New(cfg Config) http.Handler {
	if cfg.Store == nil || cfg.Auth == nil {
		panic("lfsserver: Config.Store and Config.Auth are required")
	}
	s := &server{
		store:   cfg.Store,
		auth:    cfg.Auth,
		baseURL: strings.TrimRight(cfg.PublicURL, "/"),
		docURL:  cfg.DocumentationURL,
		log:     cfg.Logger,
		maxObjs: cfg.MaxBatchObjects,
		expiry:  cfg.ActionExpiry,
		pulls:   cfg.Pulls,
		create:  cfg.Create,
	}
	if cfg.DB != nil {
		s.locks = &lockStore{db: cfg.DB}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxObjs <= 0 {
		s.maxObjs = defaultMaxBatchObjects
	}
	if s.expiry <= 0 {
		s.expiry = defaultActionExpiry
	}
	return s
}

// base returns the URL that action hrefs start with.
func (s *server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// endpoint returns the LFS server URL of repo.
// Reference: git-lfs docs/api/server-discovery.md ("Guessing the Server").
func (s *server) endpoint(r *http.Request, repo string) string {
	return s.base(r) + "/" + repo + ".git/info/lfs"
}
