package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/platform/name"
)

// Errors of the API itself; gitindex, auth and name sentinels cover the rest.
var (
	errForbidden       = errors.New("forbidden")
	errNotFound        = errors.New("no such endpoint")
	errMethod          = errors.New("method not allowed")
	errBadParam        = errors.New("invalid parameter")
	errBadDigest       = errors.New("invalid digest")
	errDigestNotFound  = errors.New("digest not found")
	errAmbiguousDigest = errors.New("ambiguous digest")
	errPathNotFound    = errors.New("path not found")
	errCursor          = errors.New("invalid cursor")
	errRepoNotFound    = errors.New("repository not found")
)

// errBadCursor reports a cursor that no listing returned.
func errBadCursor(c string) error {
	return fmt.Errorf("%w %q: pass the next_cursor of the previous page unchanged", errCursor, c)
}

// statuses maps each error class to its HTTP status and error code.
var statuses = []httpx.ErrorStatus{
	httpx.NoSpace,
	{Err: auth.ErrNoCredentials, Status: http.StatusUnauthorized, Code: "unauthorized"},
	{Err: auth.ErrInvalidToken, Status: http.StatusUnauthorized, Code: "unauthorized"},
	{Err: errForbidden, Status: http.StatusForbidden, Code: "forbidden"},
	{Err: auth.ErrForbidden, Status: http.StatusForbidden, Code: "forbidden"},
	{Err: errNotFound, Status: http.StatusNotFound, Code: "not_found"},
	{Err: errMethod, Status: http.StatusMethodNotAllowed, Code: "method_not_allowed"},
	{Err: httpx.ErrTooLarge, Status: http.StatusRequestEntityTooLarge, Code: "too_large"},
	{Err: httpx.ErrBadJSON, Status: http.StatusBadRequest, Code: "bad_json"},
	{Err: errBadParam, Status: http.StatusBadRequest, Code: "invalid_parameter"},
	{Err: pulllog.ErrBadCursor, Status: http.StatusBadRequest, Code: "invalid_cursor"},
	{Err: errCursor, Status: http.StatusBadRequest, Code: "invalid_cursor"},
	{Err: gitindex.ErrInvalidCursor, Status: http.StatusBadRequest, Code: "invalid_cursor"},
	{Err: gitindex.ErrInvalidOID, Status: http.StatusBadRequest, Code: "invalid_digest"},
	{Err: name.ErrInvalidRepo, Status: http.StatusBadRequest, Code: "invalid_repo"},
	{Err: errBadDigest, Status: http.StatusBadRequest, Code: "invalid_digest"},
	{Err: gitindex.ErrForbiddenAddress, Status: http.StatusForbidden, Code: "forbidden_address"},
	{Err: gitindex.ErrInvalidSource, Status: http.StatusBadRequest, Code: "invalid_source"},
	{Err: gitindex.ErrNotGit, Status: http.StatusUnprocessableEntity, Code: "not_git"},
	{Err: gitindex.ErrUnreachable, Status: http.StatusBadGateway, Code: "git_unreachable"},
	{Err: gitindex.ErrNotConnected, Status: http.StatusNotFound, Code: "repo_not_connected"},
	{Err: gitindex.ErrUnknownRef, Status: http.StatusNotFound, Code: "ref_not_found"},
	{Err: errDigestNotFound, Status: http.StatusNotFound, Code: "digest_not_found"},
	{Err: errAmbiguousDigest, Status: http.StatusConflict, Code: "ambiguous_digest"},
	{Err: errPathNotFound, Status: http.StatusNotFound, Code: "path_not_found"},
	{Err: errRepoNotFound, Status: http.StatusNotFound, Code: "repo_not_found"},
	// Last: the errors above may wrap a network error of their own.
	httpx.Unavailable,
}

// fail answers the request with err as a JSON error (see httpx.Fail).
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Fail(w, r, a.log, "provenance api", statuses, err)
}
