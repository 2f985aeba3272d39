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

// exactWriter passes at most left bytes to w and records w's error, to
// tell it from the source's.
type exactWriter struct {
	w    io.Writer
	left int64
	err  error
}

var errTooLong = errors.New("the source has more bytes than the response announced")

func (e *exactWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > e.left {
		n, err := e.Write(p[:e.left])
		if err == nil {
			err = errTooLong
		}
		return n, err
	}
	n, err := e.w.Write(p)
	e.left -= int64(n)
	if err != nil && e.err == nil {
		e.err = err
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
//
// A src that implements io.WriterTo (the store's readers do) writes its
// buffers to w itself, a chunk per write, with no copy through a 32 KiB
// buffer and a system call for each; it must then supply exactly n bytes.
func CopyOrAbort(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, src io.Reader, n int64, attrs ...slog.Attr) {
	rec := &ErrRecorder{R: src}
	var err error
	if wt, ok := src.(io.WriterTo); ok {
		ew := &exactWriter{w: w, left: n}
		var sent int64
		sent, err = wt.WriteTo(ew)
		switch {
		case err != nil && ew.err == nil:
			rec.Err = err // the source failed, not the client
		case err == nil && sent != n:
			err = io.ErrUnexpectedEOF
			rec.Err = err // the source ended early
		}
	} else {
		_, err = io.CopyN(w, rec, n)
	}
	if err == nil {
		return
	}
	level, msg := slog.LevelInfo, what+" interrupted by the client"
	// A source that ends early shows as EOF or, through the
	// ResponseWriter's ReadFrom, as an unexpected EOF.
	if rec.Err != nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		level, msg = slog.LevelError, what+" aborted: reading the store failed"
	}
	log.LogAttrs(r.Context(), level, msg, append(attrs, slog.Any("error", err))...)
	panic(http.ErrAbortHandler)
}
