package chunker

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// randomBytes returns n pseudo-random bytes, the same for the same seed on
// every platform and Go version.
func randomBytes(seed uint64, n int) []byte {
	p := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(p[i:], splitmix64(&seed))
	}
	return p[:n:n]
}

// chunkAll returns copies of every chunk c produces, failing t on an error
// other than io.EOF.
func chunkAll(t testing.TB, c *Chunker) [][]byte {
	t.Helper()
	var chunks [][]byte
	for {
		chunk, err := c.Next()
		if errors.Is(err, io.EOF) {
			return chunks
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		chunks = append(chunks, append([]byte(nil), chunk...))
	}
}

// chunkReader chunks everything r yields with options o.
func chunkReader(t testing.TB, r io.Reader, o Options) [][]byte {
	t.Helper()
	c, err := New(r, o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return chunkAll(t, c)
}

// lengths returns the length of each chunk.
func lengths(chunks [][]byte) []int {
	n := make([]int, len(chunks))
	for i, c := range chunks {
		n[i] = len(c)
	}
	return n
}

// referenceLengths chunks data with a plain byte-at-a-time transcription of
// FastCDC's Algorithm 1, the specification the fast loop must match.
func referenceLengths(data []byte, o Options) []int {
	strict, loose := o.masks()
	var out []int
	for len(data) > 0 {
		n := min(len(data), o.Max)
		cut := n
		var fp uint64
		for i := o.Min; i < n; i++ {
			fp = fp<<1 + gear[data[i]]
			mask := loose
			if i < o.Avg {
				mask = strict
			}
			if fp&mask == 0 {
				cut = i + 1
				break
			}
		}
		out = append(out, cut)
		data = data[cut:]
	}
	return out
}

// checkChunks fails t unless chunks concatenate to data and every chunk but
// the last is within [o.Min, o.Max].
func checkChunks(t testing.TB, data []byte, chunks [][]byte, o Options) {
	t.Helper()
	off := 0
	for i, c := range chunks {
		if len(c) == 0 || len(c) > o.Max || (len(c) < o.Min && i != len(chunks)-1) {
			t.Fatalf("chunk %d of %d has length %d, want [%d, %d]", i, len(chunks), len(c), o.Min, o.Max)
		}
		if off+len(c) > len(data) || string(c) != string(data[off:off+len(c)]) {
			t.Fatalf("chunk %d (offset %d, length %d) does not match the input", i, off, len(c))
		}
		off += len(c)
	}
	if off != len(data) {
		t.Fatalf("chunks cover %d bytes, input has %d", off, len(data))
	}
}

// stepReader returns at most n bytes per Read.
type stepReader struct {
	r io.Reader
	n int
}

func (s *stepReader) Read(p []byte) (int, error) {
	return s.r.Read(p[:min(len(p), s.n)])
}
