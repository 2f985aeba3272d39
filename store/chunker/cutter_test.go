package chunker

import "testing"

// TestCutPrefixes checks Cut's contract on every prefix of a window: a
// shorter window either says it cannot tell yet, or gives the boundary
// the whole window gives; a final window always answers.
func TestCutPrefixes(t *testing.T) {
	o := Options{Min: 64, Avg: 256, Max: 1024}
	c, err := NewCutter(o)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(3, 8<<10)
	for start := 0; start < len(data); {
		want, ok := c.Cut(data[start:], false)
		if !ok && start+o.Max <= len(data) {
			t.Fatalf("at %d: a window of at least Max bytes must answer", start)
		}
		if !ok {
			want, _ = c.Cut(data[start:], true)
		}
		for l := 1; l <= min(o.Max, len(data)-start); l++ {
			w := data[start : start+l]
			n, ok := c.Cut(w, false)
			if ok && n != want {
				t.Fatalf("at %d, window %d: cut %d, the whole window cuts %d", start, l, n, want)
			}
			if ok && n > l {
				t.Fatalf("at %d, window %d: cut %d is past the window", start, l, n)
			}
			if n, ok := c.Cut(w, true); !ok || n < 1 || n > l {
				t.Fatalf("at %d, final window %d: cut %d, ok %v", start, l, n, ok)
			}
		}
		start += want
	}
}

func TestNewCutterRejectsBadOptions(t *testing.T) {
	if _, err := NewCutter(Options{Min: 10, Avg: 8, Max: 100}); err == nil {
		t.Fatal("NewCutter accepted Min > Avg")
	}
}
