package lfsserver

import (
	"errors"
	"math"
	"testing"
)

func TestParseRange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		h         string
		size      int64
		start, n  int64
		malformed bool // else unsatisfiable, when n == 0
	}{
		{h: "bytes=0-0", size: 1, start: 0, n: 1},
		{h: "bytes=0-", size: 5, start: 0, n: 5},
		{h: "BYTES=1-2", size: 5, start: 1, n: 2},
		{h: "bytes=-1", size: 5, start: 4, n: 1},
		{h: "bytes=3-99999999999999999999999", size: 5, start: 3, n: 2},
		{h: "bytes=-99999999999999999999999", size: 5, start: 0, n: 5},
		{h: "bytes=5-", size: 5},
		{h: "bytes=99999999999999999999999-", size: 5},
		{h: "bytes=-1", size: 0},
		{h: "bytes=0-", size: 0},
		{h: "bytes=", size: 5, malformed: true},
		{h: "bytes=-", size: 5, malformed: true},
		{h: "bytes=1", size: 5, malformed: true},
		{h: "bytes=+1-2", size: 5, malformed: true},
		{h: "bytes=1 -2", size: 5, malformed: true},
		{h: "bytes=2-1", size: 5, malformed: true},
		{h: "bytes 0-1", size: 5, malformed: true},
		{h: "bytes=0-1,2-3", size: 5, malformed: true},
	}
	for _, c := range cases {
		r, err := parseRange(c.h, c.size)
		switch {
		case c.n > 0 && (err != nil || r != byteRange{c.start, c.n}):
			t.Errorf("parseRange(%q, %d) = %+v, %v; want {%d %d}", c.h, c.size, r, err, c.start, c.n)
		case c.n == 0 && !errors.Is(err, errRange):
			t.Errorf("parseRange(%q, %d) = %+v, %v; want a 416 error", c.h, c.size, r, err)
		case c.n == 0 && c.malformed != (errors.Is(err, errMalformedRange) || errors.Is(err, errMultiRange)):
			t.Errorf("parseRange(%q, %d): %v; malformed %v", c.h, c.size, err, c.malformed)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, h := range []string{"bytes=0-1", "bytes=-5", "bytes=3-", "bytes=0-1,2-3", "bytes=9223372036854775807-", "bytes=-9223372036854775808"} {
		f.Add(h, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		r, err := parseRange(h, size)
		if err != nil {
			if !errors.Is(err, errRange) {
				t.Fatalf("parseRange(%q, %d): error %v is not a range error", h, size, err)
			}
			return
		}
		if r.start < 0 || r.length < 1 || r.start >= size || r.length > size-r.start {
			t.Fatalf("parseRange(%q, %d) = %+v lies outside the object", h, size, r)
		}
		if r.start+r.length-1 > math.MaxInt64-1 {
			t.Fatalf("overflow: %+v", r)
		}
	})
}
