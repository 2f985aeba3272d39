package lfsserver

import (
	"fmt"
	"math"
	"strings"
)

// byteRange is the part of an object a download returns.
type byteRange struct {
	start, length int64
}

// contentRange formats r for the Content-Range header of a 206.
func (r byteRange) contentRange(size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", r.start, r.start+r.length-1, size)
}

// Range errors, both answered 416 with "Content-Range: bytes */size".
var (
	errMalformedRange = fmt.Errorf("%w: Range must be one of bytes=first-last, bytes=first- or bytes=-suffix", errRange)
	errMultiRange     = fmt.Errorf("%w: multiple ranges are not supported; request one range", errRange)
)

// parseRange parses a Range header value for an object of size bytes. It
// accepts exactly one range; the result lies within the object.
// Reference: RFC 9110 §14.1.2 (byte ranges), §14.2 (Range), §15.5.17 (416).
func parseRange(h string, size int64) (byteRange, error) {
	unit, spec, ok := strings.Cut(strings.TrimSpace(h), "=")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return byteRange{}, errMalformedRange
	}
	if strings.Contains(spec, ",") {
		return byteRange{}, errMultiRange
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return byteRange{}, errMalformedRange
	}
	if first == "" {
		return suffixRange(last, size)
	}
	return boundedRange(first, last, size)
}

// suffixRange is "bytes=-n": the last n bytes.
func suffixRange(last string, size int64) (byteRange, error) {
	n, ok := parseDigits(last)
	switch {
	case !ok:
		return byteRange{}, errMalformedRange
	case n == 0 || size == 0:
		return byteRange{}, unsatisfiable(size)
	}
	n = min(n, size)
	return byteRange{start: size - n, length: n}, nil
}

// boundedRange is "bytes=a-b" or "bytes=a-"; b past the end means the end.
func boundedRange(first, last string, size int64) (byteRange, error) {
	a, ok := parseDigits(first)
	if !ok {
		return byteRange{}, errMalformedRange
	}
	b := int64(math.MaxInt64)
	if last != "" {
		if b, ok = parseDigits(last); !ok || b < a {
			return byteRange{}, errMalformedRange
		}
	}
	if a >= size {
		return byteRange{}, unsatisfiable(size)
	}
	b = min(b, size-1)
	return byteRange{start: a, length: b - a + 1}, nil
}

func unsatisfiable(size int64) error {
	return fmt.Errorf("%w: the object has %d bytes", errRange, size)
}

// parseDigits parses a non-empty run of decimal digits, saturating at
// math.MaxInt64 (a last-byte position past any object is still valid).
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
