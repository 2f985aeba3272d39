package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ballastml/ballast/internal/auth"
	"github.com/ballastml/ballast/internal/gitindex"
	"github.com/ballastml/ballast/internal/httpx"
	"github.com/ballastml/ballast/internal/name"
	"github.com/ballastml/ballast/internal/pulllog"
)

// Errors of the API itself; gitindex, auth and name sentinels cover the rest.
var (
	errForbidden      = errors.New("forbidden")
	errNotFound       = errors.New("no such endpoint")
	errMethod         = errors.New("method not allowed")
	errBadJSON        = errors.New("bad request body")
	errTooLarge       = errors.New("request body too large")
	errBadParam       = errors.New("invalid parameter")
	errBadDigest      = errors.New("invalid digest")
	errDigestNotFound = errors.New("digest not found")
	errPathNotFound   = errors.New("path not found")
	errCursor         = errors.New("invalid cursor")
)

// errBadCursor reports a cursor that no listing returned.
func errBadCursor(c string) error {
	return fmt.Errorf("%w %q: pass the next_cursor of the previous page unchanged", errCursor, c)
}

// statuses maps each error class to its HTTP status and error code.
var statuses = []struct {
	err    error
	status int
	code   string
}{
	{auth.ErrNoCredentials, http.StatusUnauthorized, "unauthorized"},
	{auth.ErrInvalidToken, http.StatusUnauthorized, "unauthorized"},
	{errForbidden, http.StatusForbidden, "forbidden"},
	{errNotFound, http.StatusNotFound, "not_found"},
	{errMethod, http.StatusMethodNotAllowed, "method_not_allowed"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{errBadJSON, http.StatusBadRequest, "bad_json"},
	{errBadParam, http.StatusBadRequest, "invalid_parameter"},
	{pulllog.ErrBadCursor, http.StatusBadRequest, "invalid_cursor"},
	{errCursor, http.StatusBadRequest, "invalid_cursor"},
	{gitindex.ErrInvalidCursor, http.StatusBadRequest, "invalid_cursor"},
	{gitindex.ErrInvalidOID, http.StatusBadRequest, "invalid_digest"},
	{name.ErrInvalidRepo, http.StatusBadRequest, "invalid_repo"},
	{errBadDigest, http.StatusBadRequest, "invalid_digest"},
	{gitindex.ErrInvalidSource, http.StatusBadRequest, "invalid_source"},
	{gitindex.ErrNotGit, http.StatusUnprocessableEntity, "not_git"},
	{gitindex.ErrUnreachable, http.StatusBadGateway, "git_unreachable"},
	{gitindex.ErrNotConnected, http.StatusNotFound, "repo_not_connected"},
	{gitindex.ErrUnknownRef, http.StatusNotFound, "ref_not_found"},
	{errDigestNotFound, http.StatusNotFound, "digest_not_found"},
	{errPathNotFound, http.StatusNotFound, "path_not_found"},
}

// fail answers the request with err as a JSON error. An error outside the
// table is a server fault: it is logged and not shown to the client.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	for _, s := range statuses {
		if errors.Is(err, s.err) {
			if s.status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="ballast"`)
			}
			httpx.WriteError(w, s.status, s.code, err.Error())
			return
		}
	}
	a.log.ErrorContext(r.Context(), "provenance api", "method", r.Method, "path", r.URL.Path, "err", err)
	httpx.WriteError(w, http.StatusInternalServerError, "internal", "internal server error")
}
