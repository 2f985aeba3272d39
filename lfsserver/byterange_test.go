package lfsserver

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/ballastml/ballast/internal/platform/httpx"
)

// The parser itself is tested in internal/platform/httpx; this checks that its
// errors are LFS errRange errors (416) that keep their own message.
func TestRequestedRangeErrors(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"bytes=5-", "bytes=2-1", "bytes=0-1,2-3"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Range", h)
		_, _, err := requestedRange(r, `"x"`, 5)
		if !errors.Is(err, errRange) || !errors.Is(err, httpx.ErrRange) || statusOf(err) != 416 {
			t.Errorf("Range %q: %v (status %d), want a 416 range error", h, err, statusOf(err))
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Range", "bytes=1-2")
	if rng, partial, err := requestedRange(r, `"x"`, 5); err != nil || !partial || rng != (byteRange{Start: 1, Length: 2}) {
		t.Fatalf("bytes=1-2: %+v %v %v", rng, partial, err)
	}
}
