package httpx

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
)

// ByteRange is the non-empty part of an object a download returns:
// Length bytes from Start.
type ByteRange struct {
	Start, Length int64
}

// ContentRange formats r for the Content-Range header of a 206.
// Reference: RFC 9110 §14.4.
func (r ByteRange) ContentRange(size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", r.Start, r.Start+r.Length-1, size)
}

// ErrRange classifies every Range header that cannot be served. Callers
// answer 416 with "Content-Range: bytes */<size>".
var ErrRange = errors.New("range not satisfiable")

// Range errors; both wrap ErrRange.
var (
	ErrMalformedRange = fmt.Errorf("%w: Range must be one of bytes=first-last, bytes=first- or bytes=-suffix", ErrRange)
	ErrMultiRange     = fmt.Errorf("%w: multiple ranges are not supported; request one range", ErrRange)
)

// RequestedRange returns the part of an object of size bytes that r asks
// for, and whether that is a partial response. A Range is ignored when
// If-Range names another entity tag than etag (the object's, quoted).
// Reference: RFC 9110 §13.1.5 (If-Range), §14.2 (Range).
func RequestedRange(r *http.Request, etag string, size int64) (ByteRange, bool, error) {
	full := ByteRange{Start: 0, Length: size}
	h := strings.Join(r.Header.Values("Range"), ",")
	if h == "" {
		return full, false, nil
	}
	if ir := r.Header.Get("If-Range"); ir != "" && ir != etag {
		return full, false, nil
	}
	rng, err := ParseRange(h, size)
	return rng, true, err
}

// ParseRange parses a Range header value for an object of size bytes. It
// accepts exactly one range; the result lies within the object. Every
// error wraps ErrRange.
// Reference: RFC 9110 §14.1.2 (byte ranges), §14.2 (Range), §15.5.17 (416).
func ParseRange(h string, size int64) (ByteRange, error) {
	unit, spec, ok := strings.Cut(strings.TrimSpace(h), "=")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return ByteRange{}, ErrMalformedRange
	}
	if strings.Contains(spec, ",") {
		return ByteRange{}, ErrMultiRange
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return ByteRange{}, ErrMalformedRange
	}
	if first == "" {
		return suffixRange(last, size)
	}
	return boundedRange(first, last, size)
}

// suffixRange is "bytes=-n": the last n bytes.
func suffixRange(last string, size int64) (ByteRange, error) {
	n, ok := parseDigits(last)
	switch {
	case !ok:
		return ByteRange{}, ErrMalformedRange
	case n == 0 || size == 0:
		return ByteRange{}, unsatisfiable(size)
	}
	n = min(n, size)
	return ByteRange{Start: size - n, Length: n}, nil
}

// boundedRange is "bytes=a-b" or "bytes=a-"; b past the end means the end.
func boundedRange(first, last string, size int64) (ByteRange, error) {
	a, ok := parseDigits(first)
	if !ok {
		return ByteRange{}, ErrMalformedRange
	}
	b := int64(math.MaxInt64)
	if last != "" {
		if b, ok = parseDigits(last); !ok || b < a {
			return ByteRange{}, ErrMalformedRange
		}
	}
	if a >= size {
		return ByteRange{}, unsatisfiable(size)
	}
	b = min(b, size-1)
	return ByteRange{Start: a, Length: b - a + 1}, nil
}

func unsatisfiable(size int64) error {
	return fmt.Errorf("%w: the object has %d bytes", ErrRange, size)
}

// parseDigits parses a non-empty run of ASCII decimal digits, saturating
// at math.MaxInt64 (a last-byte position past any object is still valid).
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + d
	}
	return n, true
}
