package httpx

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// ErrRecorder wraps a reader and remembers its first error other than EOF:
// for a download, to tell a failing store from a failing client; for an
// upload, to tell a failing request body from a failing store.
type ErrRecorder struct {
	R   io.Reader
	Err error
}

func (e *ErrRecorder) Read(p []byte) (int, error) {
	n, err := e.R.Read(p)
	if err != nil && err != io.EOF && e.Err == nil {
		e.Err = err
	}
	return n, err
}

// CopyOrAbort sends exactly n bytes of src as the body of a response whose
// status and headers are already written. Once the status is sent an error
// can no longer be reported, so a failure mid-stream — stored data that
// does not verify, or a client that went away — is logged (as an error when
// the source failed) and the connection is aborted: the client sees a
// truncated transfer, never a complete one with wrong bytes (design
// invariant 2).
func CopyOrAbort(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, src io.Reader, n int64, attrs ...slog.Attr) {
	rec := &ErrRecorder{R: src}
	_, err := io.CopyN(w, rec, n)
	if err == nil {
		return
	}
	level, msg := slog.LevelInfo, what+" interrupted by the client"
	if rec.Err != nil || errors.Is(err, io.EOF) {
		level, msg = slog.LevelError, what+" aborted: reading the store failed"
	}
	log.LogAttrs(r.Context(), level, msg, append(attrs, slog.Any("error", err))...)
	panic(http.ErrAbortHandler)
}
