package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/oci"
)

// maxScans bounds the index pages one request reads while skipping
// occurrences in repositories the caller cannot read.
const maxScans = 20

// digest serves GET /api/v1/digests/{digest}: every commit and path of a
// repository the caller can read that pins the digest. A digest that only
// repositories the caller cannot read hold is as unknown as any other.
//
// A full digest is also looked up among OCI manifests: a manifest digest
// (an artifact or image ballast published, or one pushed with oras) shows
// the repositories that hold it and its tags there.
func (a *api) digest(w http.ResponseWriter, r *http.Request, rt route) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	var manifests []oci.ManifestRef
	if p.cursor == "" {
		if manifests, err = a.readableManifests(r, rt.digest); err != nil {
			return err
		}
	}
	oid, err := a.resolveDigest(r, rt.digest)
	if errors.Is(err, errDigestNotFound) && len(manifests) > 0 {
		httpx.WriteJSON(w, http.StatusOK, DigestInfo{Digest: manifestDigest(rt.digest), Occurrences: []Occurrence{}, Manifests: manifests})
		return nil
	}
	if err != nil {
		return err
	}
	occs, next, err := a.readableOccurrences(r, oid, p)
	if err != nil {
		return err
	}
	if len(occs) == 0 && len(manifests) == 0 && next == "" && p.cursor == "" {
		return fmt.Errorf("%w: no repository you can read holds %s in its indexed Git history or as an OCI manifest", errDigestNotFound, digestOf(oid))
	}
	setNext(w, r, next)
	httpx.WriteJSON(w, http.StatusOK, DigestInfo{Digest: digestOf(oid), Occurrences: occs, Manifests: manifests, NextCursor: next})
	return nil
}

// manifestDigest returns s as sha256:<hex>.
func manifestDigest(s string) string {
	return "sha256:" + strings.ToLower(strings.TrimPrefix(s, "sha256:"))
}

// readableManifests returns the manifests with the full digest s in the
// repositories the caller can read; nothing for a short digest.
func (a *api) readableManifests(r *http.Request, s string) ([]oci.ManifestRef, error) {
	if a.Manifests == nil {
		return nil, nil
	}
	d := digest.Digest(manifestDigest(s))
	if d.Validate() != nil {
		return nil, nil
	}
	all, err := a.Manifests(r.Context(), d)
	if err != nil {
		return nil, err
	}
	id := auth.FromContext(r.Context())
	var out []oci.ManifestRef
	for _, m := range all {
		if id.Allows(m.Repo, auth.Read) {
			out = append(out, m)
		}
	}
	return out, nil
}

// readableOccurrences reads index pages until it has p.limit occurrences
// the caller can read, the index has no more, or maxScans pages were read.
// The cursors it takes and returns are sealed: the index's cursors name
// the last row read, which may belong to a repository the caller cannot
// read.
func (a *api) readableOccurrences(r *http.Request, oid string, p page) ([]Occurrence, string, error) {
	id := auth.FromContext(r.Context())
	out := []Occurrence{}
	cursor, err := a.cursor.open(p.cursor, oid)
	if err != nil {
		return nil, "", err
	}
	for range maxScans {
		occs, next, err := a.Index.Occurrences(r.Context(), oid, p.limit-len(out), cursor)
		if err != nil {
			return nil, "", err
		}
		for _, o := range occs {
			if id.Allows(o.Repo, auth.Read) {
				out = append(out, Occurrence{Repo: o.Repo, Path: o.Path, Commit: fromCommit(o.Commit), Refs: fromRefs(o.Refs)})
			}
		}
		cursor = next
		if next == "" || len(out) == p.limit {
			break
		}
	}
	return out, a.cursor.seal(cursor, oid), nil
}

// resolveDigest parses a full digest, or resolves a short one (at least
// gitindex.MinOIDPrefix hex digits) to the one oid it starts in the
// repositories the caller can read: none is errDigestNotFound, several is
// errAmbiguousDigest naming some of them.
func (a *api) resolveDigest(r *http.Request, s string) (string, error) {
	hex := strings.TrimPrefix(s, "sha256:")
	if len(hex) == 64 || len(hex) < gitindex.MinOIDPrefix {
		return parseDigest(s)
	}
	pairs, err := a.Index.OIDsWithPrefix(r.Context(), strings.ToLower(hex), 1000)
	if errors.Is(err, gitindex.ErrInvalidOID) {
		return "", fmt.Errorf("%w: %q (want sha256:<hex> with at least %d hex digits)", errBadDigest, s, gitindex.MinOIDPrefix)
	}
	if err != nil {
		return "", err
	}
	id := auth.FromContext(r.Context())
	var oids []string
	for _, p := range pairs {
		if id.Allows(p.Repo, auth.Read) && (len(oids) == 0 || oids[len(oids)-1] != p.OID) {
			oids = append(oids, p.OID)
		}
	}
	switch len(oids) {
	case 0:
		return "", fmt.Errorf("%w: no repository you can read holds a digest starting %s in its indexed Git history", errDigestNotFound, s)
	case 1:
		return oids[0], nil
	}
	shown := oids[:min(len(oids), 5)]
	for i := range shown {
		shown[i] = "sha256:" + shown[i]
	}
	return "", fmt.Errorf("%w: %s starts %d digests, among them %s; give more digits", errAmbiguousDigest, s, len(oids), strings.Join(shown, ", "))
}
