package backendtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/ballastml/ballast/store"
)

var errReader = errors.New("reader failed on purpose")

// failingReader yields data and then, instead of io.EOF, errReader.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = errReader
	}
	return n, err
}

func testFailedPut(t *testing.T, b store.Backend) {
	old := randomBytes(7, 1000)
	put(t, b, "existing", old)
	for _, size := range []int{0, 3<<20 + 7} {
		for _, name := range []string{"fresh", "existing", "new/dir/obj"} {
			r := failingReader{bytes.NewReader(randomBytes(8, size))}
			if err := b.Put(t.Context(), name, r); !errors.Is(err, errReader) {
				t.Fatalf("Put(%q) of a reader failing after %d bytes = %v, want its error", name, size, err)
			}
		}
		wantMissing(t, b, "fresh")
		wantMissing(t, b, "new/dir/obj")
		wantObject(t, b, "existing", old)
		if names := list(t, b, ""); len(names) != 1 {
			t.Fatalf("List after failed Puts = %q, want only the existing object", names)
		}
	}
}

// cancellingReader cancels its context after its first read but keeps
// yielding bytes, as a client would while a server shuts down.
type cancellingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c cancellingReader) Read(p []byte) (int, error) {
	c.cancel()
	return c.r.Read(p)
}

func testCancelledPut(t *testing.T, b store.Backend) {
	old := randomBytes(9, 1000)
	put(t, b, "existing", old)
	data := randomBytes(10, 8<<20)
	for _, name := range []string{"fresh", "existing"} {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := b.Put(ctx, name, bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put(%q) with a cancelled context = %v, want context.Canceled", name, err)
		}
		ctx, cancel = context.WithCancel(t.Context())
		r := cancellingReader{bytes.NewReader(data), cancel}
		if err := b.Put(ctx, name, r); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put(%q) cancelled mid-stream = %v, want context.Canceled", name, err)
		}
	}
	wantMissing(t, b, "fresh")
	wantObject(t, b, "existing", old)
}

// testConcurrentPuts races Puts of different contents to one name with
// readers of it: every read sees nothing or one whole content, and the
// final object is one of the contents.
func testConcurrentPuts(t *testing.T, b store.Backend) {
	const writers = 8
	contents := make([][]byte, writers)
	for i := range contents {
		contents[i] = randomBytes(uint64(100+i), 1<<20+i*4099)
	}
	isContent := func(data []byte) bool {
		for _, c := range contents {
			if bytes.Equal(data, c) {
				return true
			}
		}
		return false
	}
	var wg sync.WaitGroup
	for _, c := range contents {
		wg.Go(func() {
			if err := b.Put(t.Context(), "race", bytes.NewReader(c)); err != nil {
				t.Errorf("concurrent Put: %v", err)
			}
		})
		wg.Go(func() {
			data, err := readAll(t.Context(), b, "race")
			if err != nil && !errors.Is(err, store.ErrObjectNotExist) {
				t.Errorf("ReadRange during concurrent Puts: %v", err)
			}
			if err == nil && !isContent(data) {
				t.Errorf("ReadRange during concurrent Puts saw %d bytes that are no one Put's content", len(data))
			}
		})
	}
	wg.Wait()
	if data := read(t, b, "race", 0, -1); !isContent(data) {
		t.Fatalf("after concurrent Puts the object holds %d bytes that are no one Put's content", len(data))
	}
}

func readAll(ctx context.Context, b store.Backend, name string) ([]byte, error) {
	rc, err := b.ReadRange(ctx, name, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
