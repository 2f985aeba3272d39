//go:build !linux

package local

import "os"

// dropCache is advice that only Linux takes; see cache_linux.go.
func dropCache(*os.File) {}
