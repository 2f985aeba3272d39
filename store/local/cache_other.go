//go:build !linux

package local

import (
	"io"
	"os"
)

// newFileWriter is f itself: early writeback is a Linux call; see
// cache_linux.go.
func newFileWriter(f *os.File) io.Writer { return f }

// dropCache is advice that only Linux takes; see cache_linux.go.
func dropCache(*os.File) {}
