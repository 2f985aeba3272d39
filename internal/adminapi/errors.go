package adminapi

import (
	"errors"
	"net/http"

	"github.com/ballastml/ballast/internal/auth"
	"github.com/ballastml/ballast/internal/httpx"
)

// Errors of the API itself; the auth package's sentinels cover the rest.
var (
	errForbidden = errors.New(`this needs a token with scope "*:admin"`)
	errNotFound  = errors.New("no such endpoint")
	errMethod    = errors.New("method not allowed")
	errBadJSON   = errors.New("bad request body")
	errTooLarge  = errors.New("request body too large")
)

// statuses maps each error class to its HTTP status and error code.
var statuses = []struct {
	err    error
	status int
	code   string
}{
	{auth.ErrNoCredentials, http.StatusUnauthorized, "unauthorized"},
	{auth.ErrInvalidToken, http.StatusUnauthorized, "unauthorized"},
	{errForbidden, http.StatusForbidden, "forbidden"},
	{auth.ErrTokenNotFound, http.StatusNotFound, "token_not_found"},
	{errNotFound, http.StatusNotFound, "not_found"},
	{errMethod, http.StatusMethodNotAllowed, "method_not_allowed"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{errBadJSON, http.StatusBadRequest, "bad_json"},
	{auth.ErrInvalidUser, http.StatusBadRequest, "invalid_user"},
	{auth.ErrInvalidScope, http.StatusBadRequest, "invalid_scope"},
	{auth.ErrInvalidExpiry, http.StatusBadRequest, "invalid_expiry"},
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
	a.log.ErrorContext(r.Context(), "admin api", "method", r.Method, "path", r.URL.Path, "err", err)
	httpx.WriteError(w, http.StatusInternalServerError, "internal", "internal server error")
}
