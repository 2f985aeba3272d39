package chunker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

// small keeps the tests fast while exercising every code path.
var small = Options{Min: 2 << 10, Avg: 8 << 10, Max: 32 << 10}

// readers wraps data in readers with different read patterns.
func readers(data []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"bytes":   bytes.NewReader(data),
		"onebyte": iotest.OneByteReader(bytes.NewReader(data)),
		"half":    iotest.HalfReader(bytes.NewReader(data)),
		"dataerr": iotest.DataErrReader(bytes.NewReader(data)),
		"step997": &stepReader{r: bytes.NewReader(data), n: 997},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, o := range []Options{small, DefaultOptions()} {
		sizes := []int{0, 1, o.Min - 1, o.Min, o.Min + 1, o.Avg, o.Max - 1, o.Max, o.Max + 1, 9<<20 + 7}
		if o == small { // around the buffer size, 2*Max
			sizes = append(sizes, 2*o.Max-1, 2*o.Max, 2*o.Max+1)
		}
		for _, size := range sizes {
			data := randomBytes(uint64(size), size)
			want := referenceLengths(data, o)
			for name, r := range readers(data) {
				t.Run(fmt.Sprintf("Avg=%d/size=%d/%s", o.Avg, size, name), func(t *testing.T) {
					chunks := chunkReader(t, r, o)
					checkChunks(t, data, chunks, o)
					if got := lengths(chunks); !slices.Equal(got, want) {
						t.Fatalf("lengths %v, want %v", got, want)
					}
				})
			}
		}
	}
}

// TestReference compares the two-bytes-per-step loop with the plain
// algorithm for many option sets, on random data and on data where matches
// are frequent (a low-entropy alphabet).
func TestReference(t *testing.T) {
	opts := []Options{
		{Min: 1, Avg: 64, Max: 65},
		{Min: 1, Avg: 64, Max: 1000},
		{Min: 63, Avg: 64, Max: 256},
		{Min: 10, Avg: 128, Max: 129},
		{Min: 33, Avg: 256, Max: 1024},
		{Min: 100, Avg: 1024, Max: 1 << 14},
		small,
	}
	random := randomBytes(7, 1<<20)
	skewed := bytes.Map(func(r rune) rune { return r % 3 }, randomBytes(8, 1<<20))
	for _, o := range opts {
		for name, data := range map[string][]byte{"random": random, "skewed": skewed} {
			got := lengths(chunkReader(t, bytes.NewReader(data), o))
			if want := referenceLengths(data, o); !slices.Equal(got, want) {
				t.Errorf("%+v %s: %d chunks differ from the reference's %d", o, name, len(got), len(want))
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	data := randomBytes(3, 3<<20)
	first := lengths(chunkReader(t, bytes.NewReader(data), small))
	again := lengths(chunkReader(t, bytes.NewReader(data), small))
	if !slices.Equal(first, again) {
		t.Fatal("two runs over the same input cut differently")
	}
	if len(first) < 100 {
		t.Fatalf("only %d chunks for 3 MiB with Avg 8 KiB", len(first))
	}
}

func TestReset(t *testing.T) {
	a, b := randomBytes(4, 1<<20), randomBytes(5, 300<<10)
	c, err := New(bytes.NewReader(a), small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Next(); err != nil { // leave a stream half read
		t.Fatal(err)
	}
	c.Reset(bytes.NewReader(b))
	checkChunks(t, b, chunkAll(t, c), small)
	c.Reset(bytes.NewReader(a))
	checkChunks(t, a, chunkAll(t, c), small)
}

func TestEOFIsSticky(t *testing.T) {
	c, err := New(bytes.NewReader([]byte("x")), small)
	if err != nil {
		t.Fatal(err)
	}
	if chunk, err := c.Next(); err != nil || string(chunk) != "x" {
		t.Fatalf("Next() = %q, %v", chunk, err)
	}
	for range 3 {
		if chunk, err := c.Next(); chunk != nil || err != io.EOF {
			t.Fatalf("Next() after the end = %q, %v; want nil, io.EOF", chunk, err)
		}
	}
}

func TestChunkCapacity(t *testing.T) {
	data := randomBytes(6, 200<<10)
	c, err := New(bytes.NewReader(data), small)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	_ = append(first, 0xff) // must not write into the next chunk
	second, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(second, data[len(first):len(first)+len(second)]) {
		t.Fatal("appending to a chunk overwrote the buffer")
	}
}

func TestNoAllocations(t *testing.T) {
	data := randomBytes(9, 1<<20)
	r := bytes.NewReader(data)
	c, err := New(r, small)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(10, func() {
		r.Reset(data)
		c.Reset(r)
		for {
			if _, err := c.Next(); err != nil {
				break
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per 1 MiB stream, want 0", allocs)
	}
}

func TestReadError(t *testing.T) {
	data := randomBytes(10, 200<<10)
	for _, want := range []error{errors.New("disk on fire"), io.ErrUnexpectedEOF} {
		r := io.MultiReader(bytes.NewReader(data), iotest.ErrReader(want))
		c, err := New(r, small)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for {
			chunk, err := c.Next()
			if err != nil {
				if err != want {
					t.Fatalf("Next error = %v, want %v as is", err, want)
				}
				break
			}
			got = append(got, chunk...)
		}
		if !bytes.HasPrefix(data, got) || len(got) == 0 {
			t.Fatalf("%d bytes returned before the error are not a non-empty prefix of the input", len(got))
		}
		if _, err := c.Next(); err != want {
			t.Fatalf("Next after the error = %v, want %v again", err, want)
		}
	}
}

// emptyReader never returns data nor an error.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestNoProgress(t *testing.T) {
	c, err := New(emptyReader{}, small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Next(); err != io.ErrNoProgress {
		t.Fatalf("Next() error = %v, want io.ErrNoProgress", err)
	}
}
