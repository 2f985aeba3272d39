package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/platform/name"
	"github.com/ballastml/ballast/store"
)

// Code is an error code of the distribution spec.
// Reference: distribution-spec "Error Codes".
type Code string

const (
	CodeBlobUnknown         Code = "BLOB_UNKNOWN"
	CodeBlobUploadInvalid   Code = "BLOB_UPLOAD_INVALID"
	CodeBlobUploadUnknown   Code = "BLOB_UPLOAD_UNKNOWN"
	CodeDigestInvalid       Code = "DIGEST_INVALID"
	CodeManifestBlobUnknown Code = "MANIFEST_BLOB_UNKNOWN"
	CodeManifestInvalid     Code = "MANIFEST_INVALID"
	CodeManifestUnknown     Code = "MANIFEST_UNKNOWN"
	CodeNameInvalid         Code = "NAME_INVALID"
	CodeNameUnknown         Code = "NAME_UNKNOWN"
	CodeSizeInvalid         Code = "SIZE_INVALID"
	CodeUnauthorized        Code = "UNAUTHORIZED"
	CodeDenied              Code = "DENIED"
	CodeUnsupported         Code = "UNSUPPORTED"
	CodeTooManyRequests     Code = "TOOMANYREQUESTS"
	// Not in the spec's table, which has no code for a full store; the
	// 507 status says it to clients that do not know the code.
	CodeInsufficientStorage Code = "INSUFFICIENT_STORAGE"
	// Not in the spec's table, but used by distribution and understood by
	// clients for the cases the table does not cover.
	CodeRangeInvalid Code = "RANGE_INVALID"
	// distribution's code for a server fault, and for a service that is
	// down for a while (a 503 with Retry-After).
	CodeUnavailable  Code = "UNAVAILABLE"
	CodeUnknown      Code = "UNKNOWN"
	CodeSizeTooLarge Code = "SIZE_INVALID"
)

// Error is an API error: a spec code, an HTTP status and a message.
type Error struct {
	Status  int
	Code    Code
	Message string
	Detail  any
	// Challenge, for 401s: the scope the client should ask a token for.
	Scope string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// newErr builds an *Error; handlers return it and serveError writes it.
func newErr(status int, code Code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// classify maps errors from the store, auth and name packages to API
// errors, in one table. Anything unknown is a 500 whose detail is logged,
// never sent.
func classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if store.IsNoSpace(err) {
		// The message is fixed: the error's own text names server paths.
		return &Error{Status: http.StatusInsufficientStorage, Code: CodeInsufficientStorage, Message: httpx.NoSpaceMessage}
	}
	table := []struct {
		err    error
		status int
		code   Code
	}{
		{store.ErrNotFound, http.StatusNotFound, CodeBlobUnknown},
		{store.ErrDigestMismatch, http.StatusBadRequest, CodeDigestInvalid},
		{store.ErrInvalidDigest, http.StatusBadRequest, CodeDigestInvalid},
		{store.ErrSizeMismatch, http.StatusBadRequest, CodeSizeInvalid},
		{store.ErrUploadUnknown, http.StatusNotFound, CodeBlobUploadUnknown},
		{store.ErrUploadOffset, http.StatusRequestedRangeNotSatisfiable, CodeBlobUploadInvalid},
		{store.ErrInvalidRange, http.StatusRequestedRangeNotSatisfiable, CodeRangeInvalid},
		{store.ErrRetry, http.StatusServiceUnavailable, CodeBlobUploadInvalid},
		{store.ErrBusy, http.StatusServiceUnavailable, CodeTooManyRequests},
		{name.ErrInvalidRepo, http.StatusBadRequest, CodeNameInvalid},
		{auth.ErrNoRepository, http.StatusNotFound, CodeNameUnknown},
		{auth.ErrNoCredentials, http.StatusUnauthorized, CodeUnauthorized},
		{auth.ErrInvalidToken, http.StatusUnauthorized, CodeUnauthorized},
	}
	for _, t := range table {
		if errors.Is(err, t.err) {
			return &Error{Status: t.status, Code: t.code, Message: err.Error()}
		}
	}
	if store.IsUnavailable(err) { // last: the errors above may wrap a network error
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "the registry's storage is unavailable; retry later"}
	}
	return nil
}

type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// serveError writes err as the spec's JSON error body.
func (s *server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	e := classify(err)
	if e == nil {
		s.log.Error("oci request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = newErr(http.StatusInternalServerError, CodeUnknown, "internal server error")
	}
	if e.Status == http.StatusUnauthorized {
		s.challenge(w, r, e.Scope)
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	body := errorBody{Errors: []errorItem{{Code: e.Code, Message: e.Message, Detail: e.Detail}}}
	if err := json.NewEncoder(w).Encode(body); err != nil {
		s.log.Debug("write error body", "err", err)
	}
}
