package httpx

import (
	"errors"
	"log/slog"
	"net/http"
)

// ErrorStatus maps one class of error (matched with errors.Is) to an HTTP
// status and an error code.
type ErrorStatus struct {
	Err    error
	Status int
	Code   string
}

// Fail answers with err as a JSON error, using the first entry of table
// that matches it; a 401 carries a Basic challenge. An error outside the
// table is a server fault: it is logged with what and not shown to the
// client.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, table []ErrorStatus, err error) {
	for _, s := range table {
		if errors.Is(err, s.Err) {
			if s.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="ballast"`)
			}
			WriteError(w, s.Status, s.Code, err.Error())
			return
		}
	}
	log.ErrorContext(r.Context(), what, "method", r.Method, "path", r.URL.Path, "err", err)
	WriteError(w, http.StatusInternalServerError, "internal", "internal server error")
}
