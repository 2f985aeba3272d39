package oci

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// getBlob serves GET and HEAD /v2/<name>/blobs/<digest>: the blob's bytes,
// or one byte range of them. A blob pushed through the LFS API of the same
// repository is served the same way: its oid is the digest's hex.
// Reference: distribution-spec §"Pulling blobs" (end-2), §"Checking if
// content exists in the registry"; RFC 9110 §14 (range requests).
func (s *server) getBlob(w http.ResponseWriter, r *http.Request, rt route) error {
	id, err := s.authorize(r, rt.name, auth.Read)
	if err != nil {
		return err
	}
	d, err := parseDigest(rt.ref)
	if err != nil {
		return err
	}
	info, err := s.store.Stat(r.Context(), rt.name, d)
	if err != nil {
		return err
	}
	if info.Damaged {
		// Pushers check with HEAD: to them a damaged blob is missing, so
		// they send it again, which repairs it. A pull fails cleanly.
		status := http.StatusInternalServerError
		if r.Method == http.MethodHead {
			status = http.StatusNotFound
		}
		return newErr(status, CodeBlobUnknown, "the stored copy of blob %s is damaged; push it again to repair it", d)
	}
	rng, partial, err := httpx.RequestedRange(r, etag(d), info.Size)
	if err != nil {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
		return newErr(http.StatusRequestedRangeNotSatisfiable, CodeRangeInvalid, "%v", err)
	}
	if r.Method == http.MethodHead {
		writeBlobHeader(w, d, rng, info.Size, partial)
		return nil
	}
	rc, err := s.store.Open(r.Context(), rt.name, d, rng.Start, rng.Length)
	if err != nil {
		return err
	}
	defer rc.Close()
	writeBlobHeader(w, d, rng, info.Size, partial)
	s.copyOrAbort(w, r, rt.name, d, rc, rng)
	s.recordPull(id, rt.name, d, pulllog.Blob, "", rng.Start)
	return nil
}

// etag is the entity tag of blob d: content-addressed, a strong validator.
func etag(d digest.Digest) string { return `"` + d.String() + `"` }

// writeBlobHeader sends the status and headers of a download of rng.
// Reference: distribution-spec §"Pulling blobs" (Docker-Content-Digest);
// RFC 9110 §14.4 (Content-Range), §15.3.7 (206 Partial Content).
func writeBlobHeader(w http.ResponseWriter, d digest.Digest, rng httpx.ByteRange, size int64, partial bool) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(rng.Length, 10))
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag(d))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", rng.ContentRange(size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
}

// copyOrAbort streams a download, aborting the connection on failure.
func (s *server) copyOrAbort(w http.ResponseWriter, r *http.Request, repo string, d digest.Digest, rc io.Reader, rng httpx.ByteRange) {
	httpx.CopyOrAbort(w, r, s.log, "oci download", rc, rng.Length, slog.String("repo", repo),
		slog.String("digest", d.String()), slog.Int64("offset", rng.Start), slog.Int64("length", rng.Length))
}

// deleteBlob serves DELETE /v2/<name>/blobs/<digest>: the blob leaves the
// repository (its bytes stay while other repositories link them; garbage
// collection reclaims the rest).
// Reference: distribution-spec §"Deleting Blobs" (end-10).
func (s *server) deleteBlob(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Write); err != nil {
		return err
	}
	d, err := parseDigest(rt.ref)
	if err != nil {
		return err
	}
	if err := s.store.Unlink(r.Context(), rt.name, d); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// parseDigest validates a digest from a URL: sha256 or sha512, canonical.
// Reference: distribution-spec §"Pulling blobs" (digest grammar, DIGEST_INVALID).
func parseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", newErr(http.StatusBadRequest, CodeDigestInvalid, "invalid digest %q: %v", s, err)
	}
	if a := d.Algorithm(); a != digest.SHA256 && a != digest.SHA512 {
		return "", newErr(http.StatusBadRequest, CodeDigestInvalid, "unsupported digest algorithm %q (want sha256 or sha512)", a)
	}
	return d, nil
}
