package httpx

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/ballastml/ballast/internal/platform/db"
)

// ErrorStatus maps one class of error (matched with errors.Is, or by
// Match when set) to an HTTP status and an error code. The client sees
// Message if set, else the error's text.
type ErrorStatus struct {
	Err     error
	Match   func(error) bool
	Status  int
	Code    string
	Message string
}

// NoSpace is the table entry for a write that failed for want of space
// (db.IsNoSpace): 507, with a message that names no server path.
var NoSpace = ErrorStatus{Match: db.IsNoSpace, Status: http.StatusInsufficientStorage,
	Code: "insufficient_storage", Message: NoSpaceMessage}

// Unavailable is the table entry for a request the database could not
// serve because it did not answer (db.IsUnavailable): 503 with
// Retry-After.
var Unavailable = ErrorStatus{Match: db.IsUnavailable, Status: http.StatusServiceUnavailable,
	Code: "unavailable", Message: "the server's database is unavailable; retry later"}

// NoSpaceMessage is what a client is told when storage is full.
const NoSpaceMessage = "the server has no space left to store this; retry once space is freed"

// Lookup returns the first entry of table that matches err.
func Lookup(table []ErrorStatus, err error) (ErrorStatus, bool) {
	for _, s := range table {
		if s.matches(err) {
			return s, true
		}
	}
	return ErrorStatus{}, false
}

func (s ErrorStatus) matches(err error) bool {
	if s.Match != nil {
		return s.Match(err)
	}
	return errors.Is(err, s.Err)
}

// Fail answers with err as a JSON error, using the first entry of table
// that matches it; a 401 carries a Basic challenge. An error outside the
// table is a server fault: it is logged with what and not shown to the
// client.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, table []ErrorStatus, err error) {
	if s, ok := Lookup(table, err); ok {
		if s.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="ballast"`)
		}
		if s.Status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		msg := s.Message
		if msg == "" {
			msg = err.Error()
		} else {
			log.WarnContext(r.Context(), what, "method", r.Method, "path", r.URL.Path, "status", s.Status, "err", err)
		}
		WriteError(w, s.Status, s.Code, msg)
		return
	}
	log.ErrorContext(r.Context(), what, "method", r.Method, "path", r.URL.Path, "err", err)
	WriteError(w, http.StatusInternalServerError, "internal", "internal server error")
}
