package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ballastml/ballast/store"
)

// tmpDir is the directory, relative to the root, that holds in-flight Puts.
const tmpDir = ".tmp"

// reapAge is how old a temp file of no known owner must be before Reap
// removes it. It is not zero because another process sharing the directory
// may be writing it right now; an hour is far longer than any write stays
// idle.
const reapAge = time.Hour

// Backend stores objects as files below one root directory.
type Backend struct {
	root  string
	tmp   string
	owner owner // of the temp files this backend writes (reap.go)
}

var (
	_ store.Backend       = (*Backend)(nil)
	_ store.SpaceReporter = (*Backend)(nil)
	_ store.Reaper        = (*Backend)(nil)
)

// New returns a Backend rooted at dir, creating dir if needed, and removes
// the temp files of earlier processes that are gone (Reap).
func New(dir string) (*Backend, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	b := &Backend{root: root, tmp: filepath.Join(root, tmpDir)}
	if err := os.MkdirAll(b.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	if b.owner, err = newOwner(b.tmp); err != nil {
		return nil, err
	}
	if _, err := b.Reap(context.Background()); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close releases the backend's hold on its temp files: a later reap pass,
// of any process, may then remove what it left behind.
func (b *Backend) Close() error {
	if b.owner.lock == nil {
		return nil
	}
	os.Remove(b.owner.lock.Name())
	err := b.owner.lock.Close()
	b.owner.lock = nil
	return err
}

// path returns the file path of a valid object name.
func (b *Backend) path(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return filepath.Join(b.root, filepath.FromSlash(name)), nil
}
