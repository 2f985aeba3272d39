package lfsserver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/store"
)

// download serves GET and HEAD objects/{oid}: the object's bytes, or one
// byte range of them.
// Reference: git-lfs docs/api/basic-transfers.md ("Downloads").
func (s *server) download(w http.ResponseWriter, r *http.Request, req *request) error {
	d, err := parseOid(req.param)
	if err != nil {
		return err
	}
	id, err := s.authorize(r, req.repo, auth.Read)
	if err != nil {
		return err
	}
	info, err := s.store.Stat(r.Context(), req.repo, d)
	if err != nil {
		return err
	}
	if info.Damaged {
		return fmt.Errorf("%w: object %s", store.ErrDamaged, req.param)
	}
	rng, partial, err := requestedRange(r, etag(req.param), info.Size)
	if err != nil {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
		return err
	}
	if r.Method == http.MethodHead {
		writeHeader(w, req.param, rng, info.Size, partial)
		return nil
	}
	rc, err := s.store.Open(r.Context(), req.repo, d, rng.Start, rng.Length)
	if err != nil {
		return err
	}
	defer rc.Close()
	writeHeader(w, req.param, rng, info.Size, partial)
	s.copyOrAbort(w, r, req, d, rc, rng)
	s.recordPull(id, req.repo, d, rng.Start)
	return nil
}

// etag is the entity tag of object oid: content-addressed, the oid is a
// strong validator.
func etag(oid string) string { return `"` + oid + `"` }

// writeHeader sends the status and headers of a download of rng.
// Reference: RFC 9110 §14.4 (Content-Range), §15.3.7 (206 Partial Content).
func writeHeader(w http.ResponseWriter, oid string, rng byteRange, size int64, partial bool) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(rng.Length, 10))
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag(oid))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", rng.ContentRange(size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
}

// copyOrAbort streams a download, aborting the connection on failure.
func (s *server) copyOrAbort(w http.ResponseWriter, r *http.Request, req *request, d digest.Digest, rc io.Reader, rng byteRange) {
	httpx.CopyOrAbort(w, r, s.log, "lfs download", rc, rng.Length, slog.String("request_id", req.id),
		slog.String("repo", req.repo), slog.String("digest", d.String()),
		slog.Int64("offset", rng.Start), slog.Int64("length", rng.Length))
}

// upload serves PUT objects/{oid}: the body, exactly Content-Length bytes,
// is streamed into the store, which hashes it and publishes the blob only if
// it matches the oid and the length.
// Reference: git-lfs docs/api/basic-transfers.md ("Uploads").
func (s *server) upload(w http.ResponseWriter, r *http.Request, req *request) error {
	d, err := parseOid(req.param)
	if err != nil {
		return err
	}
	if _, err := s.authorize(r, req.repo, auth.Write); err != nil {
		return err
	}
	if r.ContentLength < 0 {
		return fmt.Errorf("%w: an upload needs a Content-Length", errLengthRequired)
	}
	body := &httpx.ErrRecorder{R: r.Body}
	info, err := s.store.Put(r.Context(), req.repo, d, r.ContentLength, body)
	if err != nil {
		return bodyError(err, body.Err, r.ContentLength)
	}
	writeJSON(w, http.StatusOK, pointer{Oid: info.Digest.Encoded(), Size: info.Size})
	return nil
}

// bodyError explains a failed upload: by the body's own read error if
// reading it failed, else by the store's verdict.
func bodyError(putErr, readErr error, length int64) error {
	switch {
	case readErr == nil:
		return putErr
	case errors.Is(readErr, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the body ended before its Content-Length of %d bytes", store.ErrSizeMismatch, length)
	case errors.Is(readErr, httpx.ErrBodyStalled):
		return fmt.Errorf("%w: %v", errTimeout, readErr)
	}
	return fmt.Errorf("%w: reading the request body failed: %v", errBadRequest, readErr)
}
