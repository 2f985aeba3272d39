package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ReapTemp removes temp files, left behind by a crash or kill, that were
// last written more than olderThan ago, and returns how many it removed.
//
// A temp file's modification time moves with every write, so a young file
// may belong to a Put in progress in this or another process sharing the
// directory; only files idle for longer than any live write would be are
// safe to remove. ReapTemp(0) removes everything and is only safe when no
// Put can be running.
func (b *Backend) ReapTemp(olderThan time.Duration) (int, error) {
	entries, err := os.ReadDir(b.tmp)
	if err != nil {
		return 0, fmt.Errorf("local backend: reap temp files: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || fi.ModTime().After(cutoff) {
			continue // gone already, or possibly still being written
		}
		err = os.Remove(filepath.Join(b.tmp, e.Name()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("local backend: reap temp files: %w", err)
		}
		if err == nil {
			n++
		}
	}
	return n, nil
}
