package oci

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/name"
	"github.com/ballastml/ballast/store"
)

// BlobStore is what the registry needs of the store; *store.Store
// implements it.
type BlobStore interface {
	Put(ctx context.Context, repo string, d digest.Digest, size int64, r io.Reader) (store.BlobInfo, error)
	Stat(ctx context.Context, repo string, d digest.Digest) (store.BlobInfo, error)
	Open(ctx context.Context, repo string, d digest.Digest, offset, length int64) (io.ReadCloser, error)
	Link(ctx context.Context, repo string, d digest.Digest) error
	Unlink(ctx context.Context, repo string, d digest.Digest) error

	StartUpload(ctx context.Context, repo string) (store.Upload, error)
	GetUpload(ctx context.Context, repo, id string) (store.Upload, error)
	AppendUpload(ctx context.Context, repo, id string, offset int64, r io.Reader) (store.Upload, error)
	FinishUpload(ctx context.Context, repo, id string, d digest.Digest, body io.Reader, bodySize int64) (store.BlobInfo, error)
	CancelUpload(ctx context.Context, repo, id string) error
}

// Config configures the registry. Store, Auth and DB are required.
type Config struct {
	Store BlobStore
	Auth  auth.RequestAuthenticator
	// Tokens issues and checks the short-lived registry tokens of the token
	// flow (GET {PublicURL}/auth/token).
	Tokens *auth.RegistryTokens
	// DB holds manifests, tags and referrers.
	DB *db.DB
	// PublicURL is the base URL clients reach the server at; it names the
	// token realm and the service.
	PublicURL string
	// AllowSparseManifests accepts manifests whose referenced blobs are not
	// all present (partial multi-platform mirrors).
	AllowSparseManifests bool
	Logger               *slog.Logger
	// Pulls records blob and manifest GETs in the pull log; nil: they are
	// not recorded.
	Pulls PullRecorder
	// Create decides whether a push may create its repository; nil: every
	// writer may.
	Create *auth.Creation
}

// TagFallback is asked about a manifest tag a repository does not have; if
// it returns true it has just published the tag (a commit artifact
// "git-<sha12>" made on demand) and the lookup is tried again.
type TagFallback func(ctx context.Context, repo, tag string) (bool, error)

type server struct {
	store       BlobStore
	auth        auth.RequestAuthenticator
	tokens      *auth.RegistryTokens
	db          *db.DB
	public      string
	sparse      bool
	log         *slog.Logger
	pulls       PullRecorder // nil when pulls are not recorded
	tagFallback TagFallback  // nil: none
	create      *auth.Creation
}

// New returns the registry handler, serving /v2/… and the token endpoint
// /auth/token.
func New(cfg Config) http.Handler {
	return NewRegistry(cfg).Handler(nil)
}

// TokenPath is where the registry token endpoint is served.
const TokenPath = "/auth/token"

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Reference: distribution-spec "API Version Check" — every response
	// names the API version.
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.URL.Path == TokenPath {
		s.serveToken(w, r)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		s.serveError(w, r, newErr(http.StatusNotFound, CodeNameUnknown, "no such endpoint: %s", r.URL.Path))
		return
	}
	if rt.ep != epBase && rt.ep != epCatalog {
		if err := name.ValidateRepo(rt.name); err != nil {
			s.serveError(w, r, newErr(http.StatusBadRequest, CodeNameInvalid, "%v", err))
			return
		}
	}
	if err := s.dispatch(w, r, rt); err != nil {
		s.serveError(w, r, err)
	}
}

func (s *server) dispatch(w http.ResponseWriter, r *http.Request, rt route) error {
	switch m := r.Method; {
	case rt.ep == epBase && (m == http.MethodGet || m == http.MethodHead):
		return s.base(w, r)
	case rt.ep == epBlob && (m == http.MethodGet || m == http.MethodHead):
		return s.getBlob(w, r, rt)
	case rt.ep == epBlob && m == http.MethodDelete:
		return s.deleteBlob(w, r, rt)
	case rt.ep == epUploads && m == http.MethodPost:
		return s.startUpload(w, r, rt)
	case rt.ep == epUpload && m == http.MethodGet:
		return s.uploadStatus(w, r, rt)
	case rt.ep == epUpload && m == http.MethodPatch:
		return s.patchUpload(w, r, rt)
	case rt.ep == epUpload && m == http.MethodPut:
		return s.finishUpload(w, r, rt)
	case rt.ep == epUpload && m == http.MethodDelete:
		return s.cancelUpload(w, r, rt)
	case rt.ep == epManifest && (m == http.MethodGet || m == http.MethodHead):
		return s.getManifest(w, r, rt)
	case rt.ep == epManifest && m == http.MethodPut:
		return s.putManifest(w, r, rt)
	case rt.ep == epManifest && m == http.MethodDelete:
		return s.deleteManifest(w, r, rt)
	case rt.ep == epCatalog && m == http.MethodGet:
		return s.catalog(w, r)
	case rt.ep == epTags && m == http.MethodGet:
		return s.listTags(w, r, rt)
	case rt.ep == epReferrers && m == http.MethodGet:
		return s.listReferrers(w, r, rt)
	}
	for _, m := range allowed[rt.ep] {
		w.Header().Add("Allow", m)
	}
	return newErr(http.StatusMethodNotAllowed, CodeUnsupported, "%s is not allowed here", r.Method)
}
