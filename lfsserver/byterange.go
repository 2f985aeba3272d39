package lfsserver

import (
	"net/http"

	"github.com/ballastml/ballast/internal/platform/httpx"
)

// byteRange is the part of an object a download returns.
type byteRange = httpx.ByteRange

// requestedRange returns the part of the object to send and whether it is
// a partial response (see httpx.RequestedRange). A Range that cannot be
// served is an errRange, answered 416.
func requestedRange(r *http.Request, etag string, size int64) (byteRange, bool, error) {
	rng, partial, err := httpx.RequestedRange(r, etag, size)
	if err != nil {
		return rng, partial, rangeError{err}
	}
	return rng, partial, nil
}

// errMalformedRange is a Range header that does not parse.
var errMalformedRange error = rangeError{httpx.ErrMalformedRange}

// rangeError is an httpx range error that is also an errRange, with the
// message of the former.
type rangeError struct{ error }

func (e rangeError) Unwrap() []error { return []error{e.error, errRange} }
