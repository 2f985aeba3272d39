package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ballastml/ballast/store"
)

// Delete removes name. A missing object is not an error. Empty parent
// directories are left in place: removing them would race a concurrent Put
// creating a sibling.
func (b *Backend) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := b.path(name)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.IsDir() {
		return nil
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return notExist(name, err)
	}
	b.pruneDir(filepath.Dir(p))
	return nil
}

// pruneDir removes dir if it is empty and not a top-level directory (such
// as packs/ or uploads/), so that the directories of ended upload sessions
// and emptied pack fans do not pile up. A Put racing it recreates the
// directory (publish).
func (b *Backend) pruneDir(dir string) {
	if filepath.Dir(dir) == b.root || dir == b.root {
		return
	}
	os.Remove(dir) // fails, harmlessly, unless empty
}

// List calls fn for every object whose name starts with prefix. It walks
// only the deepest directory that prefix names in full, skips temp files,
// and stops at the first error from fn or ctx.
func (b *Backend) List(ctx context.Context, prefix string, fn func(store.ObjectInfo) error) error {
	start := b.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		if checkName(prefix[:i]) != nil {
			return nil // no valid name lies below an invalid directory
		}
		start = filepath.Join(b.root, filepath.FromSlash(prefix[:i]))
	}
	var fnErr error
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // the start directory is missing, or vanished
		case err != nil:
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case p == b.tmp:
			return fs.SkipDir
		case !d.Type().IsRegular():
			return nil
		}
		info, ok, err := b.info(p, d, prefix)
		if ok && err == nil {
			fnErr = fn(info)
		}
		if fnErr != nil {
			return fs.SkipAll
		}
		return err
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// info describes one file if its name matches prefix. A file deleted since
// its directory was read does not match.
func (b *Backend) info(p string, d fs.DirEntry, prefix string) (store.ObjectInfo, bool, error) {
	rel, err := filepath.Rel(b.root, p)
	if err != nil {
		return store.ObjectInfo{}, false, err
	}
	name := filepath.ToSlash(rel)
	if !strings.HasPrefix(name, prefix) {
		return store.ObjectInfo{}, false, nil
	}
	fi, err := d.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return store.ObjectInfo{}, false, nil
	}
	if err != nil {
		return store.ObjectInfo{}, false, err
	}
	return store.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, true, nil
}
