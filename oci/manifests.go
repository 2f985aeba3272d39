package oci

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/store"
)

// maxManifestSize bounds a manifest body.
// Reference: distribution-spec "Pushing Manifests" (registries SHOULD
// accept at least 4 MiB and answer 413 above their limit).
const maxManifestSize = 4 << 20

// reference is a manifest <reference>: exactly one of tag and digest is set.
type reference struct {
	tag    string
	digest digest.Digest
}

func (r reference) String() string {
	if r.tag != "" {
		return r.tag
	}
	return r.digest.String()
}

// parseManifestRef parses a <reference>: anything with a ':' must be a
// digest the store can hold (sha256, sha512), anything else a tag.
// Reference: distribution-spec "Pulling manifests" (<reference> MUST be a
// digest or a tag, and MUST NOT be in any other format).
func parseManifestRef(s string) (reference, error) {
	if !strings.Contains(s, ":") {
		if !validTag(s) {
			return reference{}, errTagInvalid(s)
		}
		return reference{tag: s}, nil
	}
	d, err := parseDigest(s)
	if err != nil {
		return reference{}, err
	}
	return reference{digest: d}, nil
}

// getManifest serves GET and HEAD: the stored bytes, under the media type
// they were pushed with, whatever the Accept header says (a registry
// does not convert manifests).
// Reference: distribution-spec "Pulling manifests", "Checking if content
// exists in the registry".
func (s *server) getManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	id, err := s.authorize(r, rt.name, auth.Read)
	if err != nil {
		return err
	}
	ref, err := parseManifestRef(rt.ref)
	if err != nil {
		return err
	}
	info, err := s.lookupManifest(r.Context(), rt.name, ref)
	if err != nil && ref.tag != "" && s.tagFallback != nil {
		if ok, ferr := s.tagFallback(r.Context(), rt.name, ref.tag); ferr != nil {
			return ferr
		} else if ok {
			info, err = s.lookupManifest(r.Context(), rt.name, ref)
		}
	}
	if err != nil {
		return err
	}
	var body io.ReadCloser
	if r.Method == http.MethodGet {
		body, err = s.store.Open(r.Context(), rt.name, info.digest, 0, -1)
		if errors.Is(err, store.ErrNotFound) {
			return errManifestUnknown(rt.name, ref.String()) // deleted meanwhile
		}
		if err != nil {
			return err
		}
		defer body.Close()
	}
	h := w.Header()
	h.Set("Content-Type", info.mediaType)
	h.Set("Content-Length", strconv.FormatInt(info.size, 10))
	h.Set("Docker-Content-Digest", info.digest.String())
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if body != nil {
		s.copyOrAbort(w, r, rt.name, info.digest, body, httpx.ByteRange{Length: info.size})
		s.recordPull(id, rt.name, info.digest, pulllog.Manifest, rt.ref, 0)
	}
	return nil
}

// putManifest stores a manifest byte-exact as a blob of the repository and
// records it, its tag (a PUT by tag moves the tag) and any ?tag= tags.
// Reference: distribution-spec "Pushing Manifests", "Pushing a manifest
// with a subject field"; main branch: tag query parameters on a push by
// digest (opencontainers/distribution-spec#600).
func (s *server) putManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Write); err != nil {
		return err
	}
	ref, err := parseManifestRef(rt.ref)
	if err != nil {
		return err
	}
	tags, err := pushTags(r, ref)
	if err != nil {
		return err
	}
	body, err := readManifest(w, r)
	if err != nil {
		return err
	}
	d, err := manifestDigest(ref, body)
	if err != nil {
		return err
	}
	m, err := s.storeManifest(r.Context(), rt.name, r.Header.Get("Content-Type"), d, body, tags)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Location", "/v2/"+rt.name+"/manifests/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	if m.subject != nil {
		h.Set("OCI-Subject", m.subject.Digest.String())
	}
	if ref.digest != "" {
		for _, t := range tags {
			h.Add("OCI-Tag", t)
		}
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// storeManifest is a manifest push after its checks of the request: body,
// of media type mediaType and digest d, is validated, its references are
// checked against repo (unless sparse manifests are allowed), its bytes are
// stored exactly, and its metadata and tags are saved. The HTTP handler
// and Registry.PutManifest (the publisher's way in) both push through it.
// Reference: distribution-spec "Pushing Manifests".
func (s *server) storeManifest(ctx context.Context, repo, mediaType string, d digest.Digest, body []byte, tags []string) (*manifest, error) {
	m, err := parseManifest(mediaType, body)
	if err != nil {
		return nil, err
	}
	if err := s.checkRefs(ctx, repo, m); err != nil {
		return nil, err
	}
	if _, err := s.store.Put(ctx, repo, d, int64(len(body)), bytes.NewReader(body)); err != nil {
		return nil, err
	}
	return m, s.saveManifest(ctx, repo, d, int64(len(body)), m, tags)
}

// pushTags returns the tags a push sets: the reference if it is a tag, or
// the ?tag= parameters (valid only on a push by digest), deduplicated.
func pushTags(r *http.Request, ref reference) ([]string, error) {
	params := r.URL.Query()["tag"]
	if ref.tag != "" {
		if len(params) > 0 {
			return nil, errManifestInvalid("tag parameters are accepted only when pushing by digest")
		}
		return []string{ref.tag}, nil
	}
	var tags []string
	seen := make(map[string]bool)
	for _, t := range params {
		if !validTag(t) {
			return nil, errTagInvalid(t)
		}
		if !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	return tags, nil
}

// readManifest reads the request body, refusing one over maxManifestSize
// with 413: at once if its Content-Length says so, else as soon as the
// limit is passed, so memory stays bounded either way.
func readManifest(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := newErr(http.StatusRequestEntityTooLarge, CodeSizeTooLarge,
		"manifest is larger than the %d-byte limit", maxManifestSize)
	if r.ContentLength > maxManifestSize {
		return nil, tooLarge
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxManifestSize))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, newErr(http.StatusBadRequest, CodeManifestInvalid, "read manifest: %v", err)
	}
	return buf.Bytes(), nil
}

// manifestDigest is the digest a pushed body is stored under: the
// reference's own algorithm when pushing by digest (which the body must
// match), sha256 when pushing by tag.
func manifestDigest(ref reference, body []byte) (digest.Digest, error) {
	if ref.digest == "" {
		return digest.SHA256.FromBytes(body), nil
	}
	if got := ref.digest.Algorithm().FromBytes(body); got != ref.digest {
		return "", newErr(http.StatusBadRequest, CodeDigestInvalid,
			"manifest hashes to %s, not %s", got, ref.digest)
	}
	return ref.digest, nil
}

// checkRefs makes sure every blob and child manifest m references exists in
// repo with the size its descriptor claims, unless sparse manifests are
// allowed. The subject may be missing; non-distributable layers were left
// out of m.refs by the parser.
// Reference: distribution-spec "Push" (a registry MAY reject a manifest
// referencing unknown content, with MANIFEST_BLOB_UNKNOWN, but MUST accept
// one whose subject does not exist).
func (s *server) checkRefs(ctx context.Context, repo string, m *manifest) error {
	if s.sparse {
		return nil
	}
	checked := make(map[digest.Digest]bool)
	for _, ref := range m.refs {
		if checked[ref.Digest] {
			continue
		}
		checked[ref.Digest] = true
		info, err := s.store.Stat(ctx, repo, ref.Digest)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidDigest) {
			e := newErr(http.StatusBadRequest, CodeManifestBlobUnknown, "blob %s is unknown to repository %s", ref.Digest, repo)
			e.Detail = map[string]string{"digest": ref.Digest.String()}
			return e
		}
		if err != nil {
			return err
		}
		if info.Size != ref.Size {
			return errManifestInvalid("descriptor of %s says %d bytes, the blob has %d", ref.Digest, ref.Size, info.Size)
		}
	}
	return nil
}

// deleteManifest deletes a tag (the manifest stays) or, by digest, the
// manifest with every tag naming it and its referrer entry, and unlinks
// its bytes from the repository.
// Reference: distribution-spec "Deleting tags", "Deleting Manifests".
func (s *server) deleteManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Write); err != nil {
		return err
	}
	ref, err := parseManifestRef(rt.ref)
	if err != nil {
		return err
	}
	var found bool
	if ref.tag != "" {
		found, err = s.removeTag(r.Context(), rt.name, ref.tag)
	} else {
		found, err = s.removeManifest(r.Context(), rt.name, ref.digest)
	}
	if err != nil {
		return err
	}
	if !found {
		return errManifestUnknown(rt.name, ref.String())
	}
	// The record goes first. A push of the same manifest racing this delete
	// may leave a record whose bytes are unlinked: reads answer it as
	// unknown, and the next push repairs it.
	if ref.digest != "" {
		if err := s.store.Unlink(r.Context(), rt.name, ref.digest); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
