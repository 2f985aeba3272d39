package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/name"
)

// ErrUnknown reports a tag or manifest a repository does not have.
var ErrUnknown = errors.New("oci: unknown tag or manifest")

// Registry is the registry as a Go API: the HTTP handler, and the same
// operations for code inside ballast (the publisher of Git tags), with the
// same validation as the HTTP API but no authorization: callers decide
// who may do what.
type Registry struct {
	s *server
}

// NewRegistry returns the registry configured by cfg.
func NewRegistry(cfg Config) *Registry {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Registry{s: &server{
		store: cfg.Store, auth: cfg.Auth, tokens: cfg.Tokens, db: cfg.DB,
		public: cfg.PublicURL, sparse: cfg.AllowSparseManifests, log: cfg.Logger,
		pulls:  cfg.Pulls,
		create: cfg.Create,
	}}
}

// Handler serves /v2/… and the token endpoint /auth/token. fallback, if
// not nil, is asked about tags a repository does not have. The publisher
// of Git tags is built on the Registry, and the handler last, with the
// publisher as its fallback, so no part refers to one not yet built.
func (r *Registry) Handler(fallback TagFallback) http.Handler {
	s := *r.s
	s.tagFallback = fallback
	return &s
}

// PutManifest stores body, a manifest of the given media type, in repo and
// points tags at it, as a push does: the manifest is validated, every blob
// it references must be in repo (unless sparse manifests are allowed), and
// the bytes are kept exactly. Invalid input is an *Error (MANIFEST_INVALID,
// MANIFEST_BLOB_UNKNOWN, NAME_INVALID, …).
// Reference: distribution-spec "Pushing Manifests".
func (r *Registry) PutManifest(ctx context.Context, repo, mediaType string, body []byte, tags ...string) (digest.Digest, error) {
	if err := name.ValidateRepo(repo); err != nil {
		return "", newErr(http.StatusBadRequest, CodeNameInvalid, "%v", err)
	}
	for _, t := range tags {
		if !validTag(t) {
			return "", errTagInvalid(t)
		}
	}
	if len(body) > maxManifestSize {
		return "", newErr(http.StatusRequestEntityTooLarge, CodeSizeTooLarge,
			"manifest is larger than the %d-byte limit", maxManifestSize)
	}
	d := digest.SHA256.FromBytes(body)
	_, err := r.s.storeManifest(ctx, repo, mediaType, d, body, tags)
	return d, err
}

// PutBlob stores b (a config, for instance) as a blob of repo and returns
// its sha256 digest.
func (r *Registry) PutBlob(ctx context.Context, repo string, b []byte) (digest.Digest, error) {
	if err := name.ValidateRepo(repo); err != nil {
		return "", newErr(http.StatusBadRequest, CodeNameInvalid, "%v", err)
	}
	d := digest.SHA256.FromBytes(b)
	_, err := r.s.store.Put(ctx, repo, d, int64(len(b)), bytes.NewReader(b))
	return d, err
}

// ResolveTag returns the digest of the manifest tag names in repo, or an
// error wrapping ErrUnknown.
func (r *Registry) ResolveTag(ctx context.Context, repo, tag string) (digest.Digest, error) {
	if !validTag(tag) {
		return "", errTagInvalid(tag)
	}
	info, err := r.s.lookupManifest(ctx, repo, reference{tag: tag})
	var e *Error
	if errors.As(err, &e) && e.Code == CodeManifestUnknown {
		return "", fmt.Errorf("%w: tag %s in %s", ErrUnknown, tag, repo)
	}
	return info.digest, err
}

// DeleteTag removes tag from repo; the manifest stays. A tag repo does not
// have is an error wrapping ErrUnknown.
func (r *Registry) DeleteTag(ctx context.Context, repo, tag string) error {
	if !validTag(tag) {
		return errTagInvalid(tag)
	}
	found, err := r.s.removeTag(ctx, repo, tag)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: tag %s in %s", ErrUnknown, tag, repo)
	}
	return nil
}

// ManifestRef is a manifest stored in one repository, with the tags that
// point at it there.
type ManifestRef struct {
	Repo      string   `json:"repo"`
	MediaType string   `json:"media_type"`
	Tags      []string `json:"tags"`
}

// maxManifestRefs bounds the repositories ManifestsByDigest reports.
const maxManifestRefs = 1000

// ManifestsByDigest returns every repository that holds the manifest d,
// in name order, with its tags there. Callers filter by access.
func (r *Registry) ManifestsByDigest(ctx context.Context, d digest.Digest) ([]ManifestRef, error) {
	rows, err := r.s.db.QueryContext(ctx,
		`SELECT repo, media_type FROM manifests WHERE digest = ? ORDER BY repo LIMIT ?`, d.String(), maxManifestRefs)
	if err != nil {
		return nil, fmt.Errorf("oci: manifests by digest: %w", err)
	}
	var out []ManifestRef
	for rows.Next() {
		var m ManifestRef
		if err := rows.Scan(&m.Repo, &m.MediaType); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		tags, err := r.s.db.QueryContext(ctx, `SELECT tag FROM tags WHERE repo = ? AND digest = ? ORDER BY tag`, out[i].Repo, d.String())
		if err != nil {
			return nil, fmt.Errorf("oci: tags of a manifest: %w", err)
		}
		out[i].Tags = []string{}
		for tags.Next() {
			var t string
			if err := tags.Scan(&t); err != nil {
				tags.Close()
				return nil, err
			}
			out[i].Tags = append(out[i].Tags, t)
		}
		tags.Close()
		if err := tags.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteRepo removes every manifest, tag and referrer record of repo. The
// blobs are the store's to delete (store.DeleteRepo unlinks them).
func (r *Registry) DeleteRepo(ctx context.Context, repo string) error {
	tx, err := r.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM tags WHERE repo = ?`, `DELETE FROM manifest_refs WHERE repo = ?`, `DELETE FROM manifests WHERE repo = ?`} {
		if _, err := tx.ExecContext(ctx, q, repo); err != nil {
			return fmt.Errorf("oci: delete repository %s: %w", repo, err)
		}
	}
	return tx.Commit()
}
