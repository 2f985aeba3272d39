package chunker

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzChunker chunks arbitrary input with small options and read sizes and
// checks that the chunks rebuild the input, respect the size bounds and
// match the reference algorithm.
func FuzzChunker(f *testing.F) {
	f.Add([]byte(""), uint16(0), uint8(0), uint16(0), uint8(0))
	f.Add([]byte("hello, world"), uint16(3), uint8(0), uint16(1), uint8(1))
	f.Add(randomBytes(1, 4096), uint16(100), uint8(2), uint16(300), uint8(7))
	f.Add(bytes.Repeat([]byte{0}, 5000), uint16(31), uint8(1), uint16(500), uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, minSize uint16, avgShift uint8, extra uint16, step uint8) {
		avg := smallestAvg << (avgShift % 5) // 64 B to 1 KiB
		o := Options{
			Min: 1 + int(minSize)%(avg-1),
			Avg: avg,
			Max: avg + 1 + int(extra)%(4*avg),
		}
		r := &stepReader{r: bytes.NewReader(data), n: 1 + int(step)}
		chunks := chunkReader(t, r, o)
		checkChunks(t, data, chunks, o)
		if got, want := lengths(chunks), referenceLengths(data, o); !slices.Equal(got, want) {
			t.Fatalf("%+v: lengths %v, want %v", o, got, want)
		}
	})
}
