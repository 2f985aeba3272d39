package faulty_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"syscall"
	"testing"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/memory"
)

var data = []byte("0123456789abcdefghijklmnopqrstuvwxyz")

func newFaulty(t *testing.T) *faulty.Backend {
	t.Helper()
	f := faulty.Wrap(memory.New())
	if err := f.Put(t.Context(), "obj", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return f
}

func readRange(t *testing.T, b store.Backend, offset, length int64) []byte {
	t.Helper()
	rc, err := b.ReadRange(t.Context(), "obj", offset, length)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func wantMissing(t *testing.T, b store.Backend, name string) {
	t.Helper()
	if _, err := b.Stat(t.Context(), name); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("Stat(%q) = %v, want ErrObjectNotExist", name, err)
	}
}

func TestFailPutAfter(t *testing.T) {
	f := newFaulty(t)
	f.FailPutAfter(2)
	for i, name := range []string{"first", "second", "third"} {
		err := f.Put(t.Context(), name, bytes.NewReader(data))
		if wantFail := i >= 1; errors.Is(err, faulty.ErrInjected) != wantFail {
			t.Fatalf("Put %d = %v, want failure %v", i+1, err, wantFail)
		}
	}
	wantMissing(t, f, "second")
	wantMissing(t, f, "third")
	f.Reset()
	if err := f.Put(t.Context(), "third", bytes.NewReader(data)); err != nil {
		t.Fatalf("Put after Reset: %v", err)
	}
}

func TestFailPutAfterBytes(t *testing.T) {
	f := newFaulty(t)
	f.FailPutAfterBytes(10, syscall.ENOSPC)
	for range 2 {
		if err := f.Put(t.Context(), "big", bytes.NewReader(data)); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Put of %d bytes = %v, want ENOSPC", len(data), err)
		}
	}
	wantMissing(t, f, "big")
	if err := f.Put(t.Context(), "small", bytes.NewReader(data[:10])); err != nil {
		t.Fatalf("Put of 10 bytes: %v", err)
	}
	f.FailPutAfterBytes(0, nil)
	if err := f.Put(t.Context(), "big", bytes.NewReader(data)); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("Put = %v, want ErrInjected", err)
	}
}

func TestCorruptReads(t *testing.T) {
	f := newFaulty(t)
	f.CorruptReads("obj", 5)
	tests := []struct {
		offset, length int64
		flipped        int // index in the result, -1 for none
	}{
		{0, -1, 5},
		{3, 4, 2},
		{5, 1, 0},
		{6, -1, -1},
		{0, 5, -1},
	}
	for _, tc := range tests {
		got := readRange(t, f, tc.offset, tc.length)
		want := bytes.Clone(data[tc.offset:])
		if tc.length >= 0 {
			want = want[:tc.length]
		}
		if tc.flipped >= 0 {
			want[tc.flipped] ^= 0xff
		}
		if !bytes.Equal(got, want) {
			t.Errorf("ReadRange(%d, %d) = %q, want %q", tc.offset, tc.length, got, want)
		}
	}
	f.Reset()
	if got := readRange(t, f, 0, -1); !bytes.Equal(got, data) {
		t.Fatalf("after Reset ReadRange = %q, want %q", got, data)
	}
}

func TestTruncateReads(t *testing.T) {
	f := newFaulty(t)
	f.TruncateReads("obj")
	if got := readRange(t, f, 0, -1); !bytes.Equal(got, data[:len(data)/2]) {
		t.Fatalf("truncated ReadRange(0, -1) = %q, want the first half", got)
	}
	if got := readRange(t, f, 10, 20); !bytes.Equal(got, data[10:20]) {
		t.Fatalf("truncated ReadRange(10, 20) = %q, want %q", got, data[10:20])
	}
	if info, err := f.Stat(t.Context(), "obj"); err != nil || info.Size != int64(len(data)) {
		t.Fatalf("Stat = %v, %v; want the full size", info, err)
	}
}

func TestFailReads(t *testing.T) {
	f := newFaulty(t)
	f.FailReads("obj", nil)
	if _, err := f.ReadRange(t.Context(), "obj", 0, -1); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("ReadRange = %v, want ErrInjected", err)
	}
	f.FailReads("obj", syscall.EIO)
	if _, err := f.ReadRange(t.Context(), "obj", 0, -1); !errors.Is(err, syscall.EIO) {
		t.Fatalf("ReadRange = %v, want EIO", err)
	}
	if err := f.Put(t.Context(), "other", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	rc, err := f.ReadRange(t.Context(), "other", 0, -1)
	if err != nil {
		t.Fatalf("ReadRange of another object = %v", err)
	}
	rc.Close()
}

// TestKnobsConcurrent sets knobs while other goroutines use the backend;
// run with -race.
func TestKnobsConcurrent(t *testing.T) {
	f := newFaulty(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 50 {
				f.Put(t.Context(), "obj", bytes.NewReader(data))
				if rc, err := f.ReadRange(t.Context(), "obj", 0, -1); err == nil {
					io.Copy(io.Discard, rc)
					rc.Close()
				}
			}
		})
		wg.Go(func() {
			for range 50 {
				f.FailPutAfter(i + 1)
				f.FailPutAfterBytes(int64(i), nil)
				f.CorruptReads("obj", int64(i))
				f.TruncateReads("obj")
				f.FailReads("obj", nil)
				f.Reset()
			}
		})
	}
	wg.Wait()
}
