//go:build !unix

package local

import "os"

// tryLock cannot lock here: it reports every owner as live, so temp files
// of a killed process are removed by age only (Reap, reapAge).
func tryLock(f *os.File) (bool, error) { return false, nil }
