package local

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ballastml/ballast/store"
)

// tmpDir is the directory, relative to the root, that holds in-flight Puts.
const tmpDir = ".tmp"

// reapAge is how old a temp file must be before New removes it. It is not
// zero because another process sharing the directory may be writing it
// right now; an hour is far longer than any write stays idle.
const reapAge = time.Hour

// Backend stores objects as files below one root directory.
type Backend struct {
	root string
	tmp  string
}

var (
	_ store.Backend       = (*Backend)(nil)
	_ store.SpaceReporter = (*Backend)(nil)
)

// New returns a Backend rooted at dir, creating dir if needed, and removes
// temp files that an earlier process left behind more than an hour ago.
func New(dir string) (*Backend, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	b := &Backend{root: root, tmp: filepath.Join(root, tmpDir)}
	if err := os.MkdirAll(b.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	if _, err := b.ReapTemp(reapAge); err != nil {
		return nil, err
	}
	return b, nil
}

// path returns the file path of a valid object name.
func (b *Backend) path(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return filepath.Join(b.root, filepath.FromSlash(name)), nil
}
