package lfsserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/platform/name"
	"github.com/ballastml/ballast/store"
)

// Errors of the LFS API. Handlers wrap them with the detail the client
// needs; statusTable turns them into HTTP statuses.
var (
	errBadRequest       = errors.New("bad request")
	errForbidden        = errors.New("forbidden")
	errNotFound         = errors.New("not found")
	errMethodNotAllowed = errors.New("method not allowed")
	errNotAcceptable    = errors.New("not acceptable")
	errConflict         = errors.New("conflict")
	errLengthRequired   = errors.New("length required")
	errTooLarge         = errors.New("request too large")
	errRange            = errors.New("range not satisfiable")
	errValidation       = errors.New("invalid request")
	errTimeout          = errors.New("request timeout")
	errUnsupportedMedia = errors.New("unsupported media type")
)

// unavailableMessage is what a client is told while the object store or
// the database does not answer.
const unavailableMessage = "the server's storage is unavailable; retry later"

// statusTable maps every error the API knows to its status; the first entry
// that matches wins and anything else is a 500. The body is the Git LFS
// one (fail), so the entries have no code.
// Reference: git-lfs docs/api/batch.md ("Response Errors").
var statusTable = []httpx.ErrorStatus{
	{Match: store.IsNoSpace, Status: http.StatusInsufficientStorage},
	{Err: errBadRequest, Status: http.StatusBadRequest},
	{Err: auth.ErrNoCredentials, Status: http.StatusUnauthorized},
	{Err: auth.ErrInvalidToken, Status: http.StatusUnauthorized},
	{Err: errForbidden, Status: http.StatusForbidden},
	{Err: auth.ErrForbidden, Status: http.StatusForbidden},
	{Err: errNotFound, Status: http.StatusNotFound},
	{Err: auth.ErrNoRepository, Status: http.StatusNotFound},
	{Err: store.ErrNotFound, Status: http.StatusNotFound},
	{Err: errMethodNotAllowed, Status: http.StatusMethodNotAllowed},
	{Err: errNotAcceptable, Status: http.StatusNotAcceptable},
	{Err: errConflict, Status: http.StatusConflict},
	{Err: errLengthRequired, Status: http.StatusLengthRequired},
	{Err: errTooLarge, Status: http.StatusRequestEntityTooLarge},
	{Err: errRange, Status: http.StatusRequestedRangeNotSatisfiable},
	{Err: store.ErrInvalidRange, Status: http.StatusRequestedRangeNotSatisfiable},
	{Err: errValidation, Status: http.StatusUnprocessableEntity},
	{Err: errTimeout, Status: http.StatusRequestTimeout},
	{Err: errUnsupportedMedia, Status: http.StatusUnsupportedMediaType},
	{Err: name.ErrInvalidRepo, Status: http.StatusUnprocessableEntity},
	{Err: store.ErrInvalidDigest, Status: http.StatusUnprocessableEntity},
	{Err: store.ErrDigestMismatch, Status: http.StatusUnprocessableEntity},
	{Err: store.ErrSizeMismatch, Status: http.StatusUnprocessableEntity},
	{Err: store.ErrRetry, Status: http.StatusServiceUnavailable},
	{Err: store.ErrBusy, Status: http.StatusServiceUnavailable},
	{Match: store.IsUnavailable, Status: http.StatusServiceUnavailable},
}

// statusOf returns the HTTP status for err.
func statusOf(err error) int {
	if s, ok := httpx.Lookup(statusTable, err); ok {
		return s.Status
	}
	return http.StatusInternalServerError
}

// authChallenge is the challenge of a 401. LFS-Authenticate keeps browsers
// from prompting; WWW-Authenticate serves generic HTTP clients.
// Reference: git-lfs docs/api/batch.md ("HTTP 401 responses should include
// an LFS-Authenticate header").
const authChallenge = `Basic realm="Git LFS"`

// errorBody is the JSON body of every error response.
// Reference: git-lfs docs/api/batch.md ("Response Errors"),
// git-lfs docs/api/locking.md ("Bad Response: Lock Exists").
type errorBody struct {
	Lock             *lockJSON `json:"lock,omitempty"`
	Message          string    `json:"message"`
	DocumentationURL string    `json:"documentation_url,omitempty"`
	RequestID        string    `json:"request_id,omitempty"`
}

// conflictError refuses a lock because another lock holds the path.
type conflictError struct{ lock lockJSON }

func (e *conflictError) Error() string {
	return fmt.Sprintf("%q is already locked by %s", e.lock.Path, e.lock.Owner.Name)
}

func (e *conflictError) Unwrap() error { return errConflict }

// fail logs err and answers the request with its status and JSON body.
// Server errors are logged in full but answered with the status text only.
func (s *server) fail(w http.ResponseWriter, r *http.Request, req *request, err error) {
	status := statusOf(err)
	body := errorBody{Message: err.Error(), DocumentationURL: s.docURL, RequestID: req.id}
	level := slog.LevelInfo
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
		body.Message = http.StatusText(status)
		switch {
		case errors.Is(err, store.ErrDamaged):
			body.Message = "the stored copy of this object is damaged; push it again to repair it"
		case status == http.StatusInsufficientStorage:
			body.Message = httpx.NoSpaceMessage
		case errors.Is(err, store.ErrBusy):
			body.Message = store.ErrBusy.Error()
		case store.IsUnavailable(err):
			body.Message = unavailableMessage
		}
	}
	s.log.LogAttrs(r.Context(), level, "lfs request failed",
		slog.String("request_id", req.id), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("repo", req.repo),
		slog.Int("status", status), slog.Any("error", err))
	if status == http.StatusUnauthorized {
		w.Header().Set("LFS-Authenticate", authChallenge)
		w.Header().Set("WWW-Authenticate", authChallenge)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1") // git-lfs retries a 503 that says when
	}
	if c, ok := errors.AsType[*conflictError](err); ok {
		body.Lock = &c.lock
	}
	writeJSON(w, status, body)
}
