package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/platform/name"
	"github.com/ballastml/ballast/store"
)

// Blob uploads. A session is the store's durable upload session, so it
// survives a restart; its id is scoped to the repository it was started in.
// The store hashes every byte and publishes nothing that does not match
// the digest, so no handler holds or checks a body itself.

// maxMountCandidates bounds the repositories a mount without "from" looks
// at.
const maxMountCandidates = 100

// repoLister is implemented by stores that can list the repositories a
// blob is linked to (at most limit of them). It lets a mount without
// "from" find a source the caller can read.
type repoLister interface {
	LinkedRepos(ctx context.Context, d digest.Digest, limit int) ([]string, error)
}

// startUpload serves POST /v2/<name>/blobs/uploads/: a cross-repository
// mount (?mount=), a single-request upload (?digest= with the body), or
// else a new upload session.
// Reference: distribution-spec §"Pushing blobs" (end-4a, end-4b, end-11).
func (s *server) startUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	id, err := s.authorize(r, rt.name, auth.Write)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Has("mount") {
		if done, err := s.mount(w, r, rt.name, id, q.Get("mount"), q.Get("from")); done || err != nil {
			return err
		}
	}
	if q.Has("digest") {
		return s.putMonolithic(w, r, rt.name, q.Get("digest"))
	}
	u, err := s.store.StartUpload(r.Context(), rt.name)
	if err != nil {
		return err
	}
	writeUploadStatus(w, rt.name, u, http.StatusAccepted)
	return nil
}

// mount links blob d into repo from a repository the caller can read, and
// reports whether it answered the request. When it cannot mount it answers
// nothing, and the caller falls back to an upload session, as the spec
// says. Design invariant 4: the caller must be able to read the source.
// Reference: distribution-spec §"Mounting a blob from another repository":
// "The registry MAY treat the from parameter as optional, and it MAY
// cross-mount the blob if it can be found."
func (s *server) mount(w http.ResponseWriter, r *http.Request, repo string, id *auth.Identity, mount, from string) (bool, error) {
	d, err := parseDigest(mount)
	if err != nil {
		return false, nil
	}
	src, err := s.mountSource(r, repo, id, d, from)
	if err != nil || src == "" {
		return false, err
	}
	err = s.store.Link(r.Context(), repo, d)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // deleted meanwhile
	}
	if err != nil {
		return false, err
	}
	writeBlobCreated(w, repo, d)
	return true, nil
}

// mountSource returns a repository holding d that id may read, "" if
// there is none, or a 401 asking for a token that covers a source.
func (s *server) mountSource(r *http.Request, repo string, id *auth.Identity, d digest.Digest, from string) (string, error) {
	if from == "" {
		return s.discoverSource(r, repo, id, d)
	}
	switch {
	case name.ValidateRepo(from) != nil:
		return "", nil
	case id.Allows(from, auth.Read):
		return ifLinked(r.Context(), s.store, from, d)
	case mayAsk(r, id, from):
		return "", needToken(repoScope(repo, "pull,push") + " " + repoScope(from, "pull"))
	}
	return "", nil
}

// discoverSource looks for d among the repositories the store says link
// it (automatic content discovery), keeping only those id may read.
func (s *server) discoverSource(r *http.Request, repo string, id *auth.Identity, d digest.Digest) (string, error) {
	lister, ok := s.store.(repoLister)
	if !ok {
		return "", nil
	}
	repos, err := lister.LinkedRepos(r.Context(), d, maxMountCandidates)
	if err != nil {
		return "", err
	}
	for _, src := range repos {
		if id.Allows(src, auth.Read) {
			return src, nil
		}
	}
	// A registry token asks for read on every repository the caller may
	// read, whatever the candidates, so the answer does not reveal them.
	if mayAsk(r, id, "*") {
		return "", needToken(repoScope(repo, "pull,push") + " " + repoScope("*", "pull"))
	}
	return "", nil
}

// ifLinked returns repo if blob d is linked to it and sound, else "": a
// damaged blob is not mounted, so that the client uploads it, which
// repairs it.
func ifLinked(ctx context.Context, bs BlobStore, repo string, d digest.Digest) (string, error) {
	info, err := bs.Stat(ctx, repo, d)
	if errors.Is(err, store.ErrNotFound) || (err == nil && info.Damaged) {
		return "", nil
	}
	return repo, err
}

// putMonolithic stores the body of a POST as blob d in one request.
// Reference: distribution-spec §"Single POST" (end-4b).
func (s *server) putMonolithic(w http.ResponseWriter, r *http.Request, repo, digestParam string) error {
	d, err := parseDigest(digestParam)
	if err != nil {
		return err
	}
	body := &httpx.ErrRecorder{R: r.Body}
	if r.ContentLength >= 0 {
		_, err = s.store.Put(r.Context(), repo, d, r.ContentLength, body)
	} else {
		err = s.putStreamed(r.Context(), repo, d, body)
	}
	if err != nil {
		return bodyError(err, body)
	}
	writeBlobCreated(w, repo, d)
	return nil
}

// putStreamed stores a body of unknown length through a session.
func (s *server) putStreamed(ctx context.Context, repo string, d digest.Digest, body io.Reader) error {
	u, err := s.store.StartUpload(ctx, repo)
	if err != nil {
		return err
	}
	_, err = s.store.FinishUpload(ctx, repo, u.ID, d, body, -1)
	return err
}

// uploadStatus serves GET /v2/<name>/blobs/uploads/<id>. It needs only
// pull access, like the registries clients are tested against.
// Reference: distribution-spec §"Pushing a blob in chunks" (end-13).
func (s *server) uploadStatus(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Read); err != nil {
		return err
	}
	u, err := s.store.GetUpload(r.Context(), rt.name, rt.ref)
	if err != nil {
		return err
	}
	writeUploadStatus(w, rt.name, u, http.StatusNoContent)
	return nil
}

// patchUpload serves PATCH /v2/<name>/blobs/uploads/<id>: a chunk
// (Content-Range and Content-Length) that must start where the session
// ends, or a stream (no Content-Range) appended to it.
// Reference: distribution-spec §"Pushing a blob in chunks" (end-5); the
// streamed form is the de-facto one of Docker clients.
func (s *server) patchUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Write); err != nil {
		return err
	}
	u, err := s.store.GetUpload(r.Context(), rt.name, rt.ref)
	if err != nil {
		return err
	}
	if err := checkChunk(w, r, rt.name, u); err != nil {
		return err
	}
	body := &httpx.ErrRecorder{R: r.Body}
	next, err := s.store.AppendUpload(r.Context(), rt.name, u.ID, u.Size, body)
	if errors.Is(err, store.ErrUploadOffset) {
		return outOfOrder(w, rt.name, next, "another chunk was appended meanwhile")
	}
	if err != nil {
		return bodyError(err, body)
	}
	writeUploadStatus(w, rt.name, next, http.StatusAccepted)
	return nil
}

// checkChunk validates the Content-Range of a chunk against session u: a
// malformed range or one that does not start at the session's end is 416
// with the session's Range, a length that disagrees with Content-Length
// is 400. Without Content-Range there is nothing to check.
func checkChunk(w http.ResponseWriter, r *http.Request, repo string, u store.Upload) error {
	h := r.Header.Get("Content-Range")
	if h == "" {
		return nil
	}
	start, end, ok := parseContentRange(h)
	switch {
	case !ok:
		return outOfOrder(w, repo, u, fmt.Sprintf("malformed Content-Range %q (want <start>-<end>)", h))
	case start != u.Size:
		return outOfOrder(w, repo, u, fmt.Sprintf("chunk starts at byte %d, the upload has %d bytes", start, u.Size))
	case r.ContentLength != end-start+1:
		return newErr(http.StatusBadRequest, CodeSizeInvalid,
			"Content-Range %q covers %d bytes, Content-Length says %d", h, end-start+1, r.ContentLength)
	}
	return nil
}

// outOfOrder is the 416 of a chunk the session cannot take, with the
// session's current state.
func outOfOrder(w http.ResponseWriter, repo string, u store.Upload, why string) error {
	setUploadHeaders(w, repo, u)
	return newErr(http.StatusRequestedRangeNotSatisfiable, CodeBlobUploadInvalid, "%s", why)
}

// parseContentRange parses the Content-Range of a chunk: "<start>-<end>",
// inclusive, decimal, start <= end.
// Reference: distribution-spec §"Pushing a blob in chunks": ^[0-9]+-[0-9]+$.
func parseContentRange(s string) (start, end int64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	start, okA := parseOffset(a)
	end, okB := parseOffset(b)
	if !found || !okA || !okB || start > end {
		return 0, 0, false
	}
	return start, end, true
}

// parseOffset parses a non-empty run of ASCII digits that fits an int64.
func parseOffset(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// finishUpload serves PUT /v2/<name>/blobs/uploads/<id>?digest=: the
// optional last chunk is appended and the session becomes blob <digest>,
// or, if the bytes do not match, ends with nothing stored.
// Reference: distribution-spec §"Pushing a blob in chunks" (end-6), §"POST
// then PUT".
func (s *server) finishUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Write); err != nil {
		return err
	}
	d, err := parseDigest(r.URL.Query().Get("digest"))
	if err != nil {
		return err
	}
	u, err := s.store.GetUpload(r.Context(), rt.name, rt.ref)
	if err != nil {
		return err
	}
	if err := checkChunk(w, r, rt.name, u); err != nil {
		return err
	}
	var body io.Reader
	rec := &httpx.ErrRecorder{R: r.Body}
	if r.ContentLength != 0 {
		body = rec
	}
	if _, err := s.store.FinishUpload(r.Context(), rt.name, u.ID, d, body, r.ContentLength); err != nil {
		return bodyError(err, rec)
	}
	writeBlobCreated(w, rt.name, d)
	return nil
}

// cancelUpload serves DELETE /v2/<name>/blobs/uploads/<id>.
// Reference: distribution-spec §"Cancel a blob upload" (end-14).
func (s *server) cancelUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Write); err != nil {
		return err
	}
	if err := s.store.CancelUpload(r.Context(), rt.name, rt.ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bodyError explains a failed write: by the request body's own read error
// if reading it failed, else by the store's verdict.
func bodyError(err error, body *httpx.ErrRecorder) error {
	var tooBig *http.MaxBytesError
	switch {
	case body.Err == nil:
		return err
	case errors.Is(body.Err, io.ErrUnexpectedEOF):
		return newErr(http.StatusBadRequest, CodeSizeInvalid, "the body ended before its Content-Length")
	case errors.As(body.Err, &tooBig):
		return newErr(http.StatusRequestEntityTooLarge, CodeSizeInvalid, "the body is too large")
	case errors.Is(body.Err, httpx.ErrBodyStalled):
		return newErr(http.StatusRequestTimeout, CodeBlobUploadInvalid, "%v", body.Err)
	}
	return newErr(http.StatusBadRequest, CodeBlobUploadInvalid, "reading the request body failed: %v", body.Err)
}

// uploadLocation is the URL of session id of repo. Relative: the spec
// allows it and every client resolves it against the request.
func uploadLocation(repo, id string) string { return "/v2/" + repo + "/blobs/uploads/" + id }

// setUploadHeaders describes session u: where to continue and the bytes
// received, as "0-<last byte>". An empty session is "0-0", as in the spec's
// examples and the reference implementation.
func setUploadHeaders(w http.ResponseWriter, repo string, u store.Upload) {
	h := w.Header()
	h.Set("Location", uploadLocation(repo, u.ID))
	h.Set("Range", fmt.Sprintf("0-%d", max(u.Size-1, 0)))
	h.Set("Docker-Upload-UUID", u.ID)
}

func writeUploadStatus(w http.ResponseWriter, repo string, u store.Upload, status int) {
	setUploadHeaders(w, repo, u)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// writeBlobCreated answers 201 for blob d of repo.
func writeBlobCreated(w http.ResponseWriter, repo string, d digest.Digest) {
	h := w.Header()
	h.Set("Location", "/v2/"+repo+"/blobs/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}
