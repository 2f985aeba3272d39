package httpx

import (
	"errors"
	"math"
	"net/http/httptest"
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
		r, err := ParseRange(c.h, c.size)
		switch {
		case c.n > 0 && (err != nil || r != ByteRange{Start: c.start, Length: c.n}):
			t.Errorf("ParseRange(%q, %d) = %+v, %v; want {%d %d}", c.h, c.size, r, err, c.start, c.n)
		case c.n == 0 && !errors.Is(err, ErrRange):
			t.Errorf("ParseRange(%q, %d) = %+v, %v; want a 416 error", c.h, c.size, r, err)
		case c.n == 0 && c.malformed != (errors.Is(err, ErrMalformedRange) || errors.Is(err, ErrMultiRange)):
			t.Errorf("ParseRange(%q, %d): %v; malformed %v", c.h, c.size, err, c.malformed)
		}
	}
}

func TestContentRange(t *testing.T) {
	if got := (ByteRange{Start: 2, Length: 3}).ContentRange(10); got != "bytes 2-4/10" {
		t.Fatalf("ContentRange = %q", got)
	}
}

func TestRequestedRange(t *testing.T) {
	const etag = `"sha256:abc"`
	cases := []struct {
		rng, ifRange string
		want         ByteRange
		partial      bool
	}{
		{"", "", ByteRange{0, 10}, false},
		{"bytes=2-3", "", ByteRange{2, 2}, true},
		{"bytes=2-3", etag, ByteRange{2, 2}, true},
		{"bytes=2-3", `"other"`, ByteRange{0, 10}, false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.rng != "" {
			r.Header.Set("Range", c.rng)
		}
		if c.ifRange != "" {
			r.Header.Set("If-Range", c.ifRange)
		}
		got, partial, err := RequestedRange(r, etag, 10)
		if err != nil || got != c.want || partial != c.partial {
			t.Errorf("Range %q If-Range %q: %+v %v %v; want %+v %v", c.rng, c.ifRange, got, partial, err, c.want, c.partial)
		}
	}
	// Two Range headers are two ranges.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Range", "bytes=0-1")
	r.Header.Add("Range", "bytes=2-3")
	if _, _, err := RequestedRange(r, etag, 10); !errors.Is(err, ErrMultiRange) {
		t.Fatalf("two Range headers: %v, want ErrMultiRange", err)
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
		r, err := ParseRange(h, size)
		if err != nil {
			if !errors.Is(err, ErrRange) {
				t.Fatalf("ParseRange(%q, %d): error %v is not a range error", h, size, err)
			}
			return
		}
		if r.Start < 0 || r.Length < 1 || r.Start >= size || r.Length > size-r.Start {
			t.Fatalf("ParseRange(%q, %d) = %+v lies outside the object", h, size, r)
		}
		if r.Start+r.Length-1 > math.MaxInt64-1 {
			t.Fatalf("overflow: %+v", r)
		}
	})
}
