package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/ballastml/ballast/store"
)

// TestCopyNoSpace drives the write loop into /dev/full, where the kernel
// answers every write with ENOSPC, and checks the classification Put
// applies to it.
func TestCopyNoSpace(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer f.Close()
	err = copyCtx(context.Background(), f, strings.NewReader("some bytes"))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write to /dev/full = %v, want ENOSPC", err)
	}
	if err := classify(err); !errors.Is(err, store.ErrNoSpace) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("classify = %v, want ErrNoSpace wrapping ENOSPC", err)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err     error
		noSpace bool
	}{
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, true},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, true},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EIO}, false},
		{fs.ErrNotExist, false},
	}
	for _, tc := range tests {
		got := classify(tc.err)
		if errors.Is(got, store.ErrNoSpace) != tc.noSpace || !errors.Is(got, tc.err) {
			t.Errorf("classify(%v) = %v; want no-space %v, wrapping the original", tc.err, got, tc.noSpace)
		}
	}
}
