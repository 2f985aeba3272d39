package adminapi

import (
	"errors"
	"net/http"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// Errors of the API itself; the auth package's sentinels cover the rest.
var (
	errForbidden = errors.New(`this needs a token with scope "*:admin"`)
	errNotFound  = errors.New("no such endpoint")
	errMethod    = errors.New("method not allowed")
)

// statuses maps each error class to its HTTP status and error code.
var statuses = []httpx.ErrorStatus{
	httpx.NoSpace,
	{Err: auth.ErrNoCredentials, Status: http.StatusUnauthorized, Code: "unauthorized"},
	{Err: auth.ErrInvalidToken, Status: http.StatusUnauthorized, Code: "unauthorized"},
	{Err: errForbidden, Status: http.StatusForbidden, Code: "forbidden"},
	{Err: auth.ErrTokenNotFound, Status: http.StatusNotFound, Code: "token_not_found"},
	{Err: errNotFound, Status: http.StatusNotFound, Code: "not_found"},
	{Err: errMethod, Status: http.StatusMethodNotAllowed, Code: "method_not_allowed"},
	{Err: httpx.ErrTooLarge, Status: http.StatusRequestEntityTooLarge, Code: "too_large"},
	{Err: httpx.ErrBadJSON, Status: http.StatusBadRequest, Code: "bad_json"},
	{Err: auth.ErrInvalidUser, Status: http.StatusBadRequest, Code: "invalid_user"},
	{Err: auth.ErrInvalidScope, Status: http.StatusBadRequest, Code: "invalid_scope"},
	{Err: auth.ErrInvalidExpiry, Status: http.StatusBadRequest, Code: "invalid_expiry"},
	{Err: errInvalidGrace, Status: http.StatusBadRequest, Code: "invalid_grace"},
	// Last: the errors above may wrap a network error of their own.
	httpx.Unavailable,
}

// fail answers the request with err as a JSON error (see httpx.Fail).
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Fail(w, r, a.log, "admin api", statuses, err)
}
