package httpx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// MinBodyBytes is how many bytes a request body must deliver in every
// stall window (MinBodyRate) to be kept: 64 KiB, so a body slower than
// about 2 KiB/s over a 30-second window is cut off.
const MinBodyBytes = 64 << 10

// ErrBodyStalled: a request body delivered less than MinBodyBytes in a
// stall window, and was cut off.
var ErrBodyStalled = errors.New("request body stalled")

// MinBodyRate cuts off request bodies that stall: each body must deliver
// MinBodyBytes (or end) within window of the request's start, and again
// within window of each time it did. It works by the connection's read
// deadline (http.ResponseController), moved on as data arrives and cleared
// once the body ends, so a stalled body holds a handler — and whatever it
// holds for the upload — for one window at most. Like a minimum request
// body data rate, it cannot be defeated by trickling a byte at a time.
// A window of 0 turns it off.
func MinBodyRate(next http.Handler, window time.Duration) http.Handler {
	if window <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		b := &rateBody{rc: r.Body, ctl: http.NewResponseController(w), window: window}
		if b.extend() != nil {
			next.ServeHTTP(w, r) // the connection has no deadlines (HTTP/2 handled elsewhere, tests)
			return
		}
		defer b.clear()
		r.Body = b
		next.ServeHTTP(w, r)
	})
}

// rateBody is a request body under a moving read deadline.
type rateBody struct {
	rc     io.ReadCloser
	ctl    *http.ResponseController
	window time.Duration
	got    int64 // bytes since the deadline was last moved on
	done   bool
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.got += int64(n)
	if b.got >= MinBodyBytes && err == nil {
		b.got = 0
		b.extend()
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The deadline stays: net/http reads what is left of a body
		// before it answers, and must not wait for a stalled one.
		b.done = true
		err = fmt.Errorf("%w: less than %d bytes arrived in %s", ErrBodyStalled, MinBodyBytes, b.window)
	case err != nil:
		b.clear() // the body is over: later reads of the connection are the server's own
	}
	return n, err
}

func (b *rateBody) Close() error {
	b.clear()
	return b.rc.Close()
}

func (b *rateBody) extend() error {
	return b.ctl.SetReadDeadline(time.Now().Add(b.window))
}

// clear removes the deadline once, so that a handler that goes on working
// after reading the body (a commit, a long response) is not cut off by the
// server's background read of the connection.
func (b *rateBody) clear() {
	if !b.done {
		b.done = true
		b.ctl.SetReadDeadline(time.Time{})
	}
}
