package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ballastml/ballast/store"
)

func testPutRead(t *testing.T, b store.Backend) {
	for _, size := range []int{0, 1, 5<<20 + 123} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			name := fmt.Sprintf("obj-%d", size)
			data := randomBytes(uint64(size), size)
			put(t, b, name, data)
			wantObject(t, b, name, data)
		})
	}
}

func testOverwrite(t *testing.T, b store.Backend) {
	first, second := randomBytes(1, 300<<10), randomBytes(2, 1000)
	put(t, b, "obj", first)
	put(t, b, "obj", second)
	wantObject(t, b, "obj", second)
	if names := list(t, b, ""); len(names) != 1 {
		t.Fatalf("List after overwrite = %q, want one object", names)
	}
}

func testReadRange(t *testing.T, b store.Backend) {
	const size = 10000
	data := randomBytes(3, size)
	put(t, b, "obj", data)
	tests := []struct {
		offset, length int64
		want           []byte
	}{
		{0, size, data},
		{0, -1, data},
		{0, 1, data[:1]},
		{10, 20, data[10:30]},
		{10, -1, data[10:]},
		{size - 5, 100, data[size-5:]},
		{0, size + 1, data},
		{size - 1, 1, data[size-1:]},
		{size, -1, nil},
		{size, 10, nil},
		{0, 0, nil},
		{5, 0, nil},
	}
	for _, tc := range tests {
		got := read(t, b, "obj", tc.offset, tc.length)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("ReadRange(%d, %d) = %d bytes, want %d (or other bytes)", tc.offset, tc.length, len(got), len(tc.want))
		}
	}
	for _, offset := range []int64{size + 1, size + 1<<20, -1} {
		for _, length := range []int64{-1, 0, 10} {
			rc, err := b.ReadRange(t.Context(), "obj", offset, length)
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, store.ErrInvalidRange) {
				t.Errorf("ReadRange(%d, %d) = %v, want ErrInvalidRange", offset, length, err)
			}
		}
	}
}

func testReadMissing(t *testing.T, b store.Backend) {
	wantMissing(t, b, "missing")
	put(t, b, "empty", nil)
	if got := read(t, b, "empty", 0, -1); len(got) != 0 {
		t.Fatalf("empty object reads as %d bytes", len(got))
	}
	rc, err := b.ReadRange(t.Context(), "empty", 1, -1)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, store.ErrInvalidRange) {
		t.Fatalf("ReadRange(empty, 1, -1) = %v, want ErrInvalidRange", err)
	}
}

func testStat(t *testing.T, b store.Backend) {
	before := time.Now().Add(-time.Hour)
	put(t, b, "dir/obj", randomBytes(4, 4321))
	info, err := b.Stat(t.Context(), "dir/obj")
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "dir/obj" || info.Size != 4321 {
		t.Fatalf("Stat = %q, %d bytes; want %q, 4321 bytes", info.Name, info.Size, "dir/obj")
	}
	if info.ModTime.Before(before) {
		t.Fatalf("Stat ModTime = %v, long before the Put", info.ModTime)
	}
	if _, err := b.Stat(t.Context(), "dir/other"); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("Stat of a missing object = %v, want ErrObjectNotExist", err)
	}
	if _, err := b.Stat(t.Context(), "dir"); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("Stat of a name prefix = %v, want ErrObjectNotExist", err)
	}
}

func testDelete(t *testing.T, b store.Backend) {
	keep := randomBytes(5, 100)
	put(t, b, "d/gone", randomBytes(6, 100))
	put(t, b, "d/kept", keep)
	for range 2 {
		if err := b.Delete(t.Context(), "d/gone"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantMissing(t, b, "d/gone")
	}
	if err := b.Delete(t.Context(), "never/was"); err != nil {
		t.Fatalf("Delete of an object never stored: %v", err)
	}
	wantObject(t, b, "d/kept", keep)
	put(t, b, "d/gone", keep)
	wantObject(t, b, "d/gone", keep)
}
