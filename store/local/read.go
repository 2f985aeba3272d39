package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ballastml/ballast/store"
)

// ReadRange opens name and returns a reader over length bytes from offset,
// cut at the end of the object; length < 0 reads to the end. An offset past
// the end is store.ErrInvalidRange.
func (b *Backend) ReadRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notExist(name, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, notExist(name, err)
	}
	size := fi.Size()
	if offset < 0 || offset > size {
		f.Close()
		return nil, fmt.Errorf("local backend: read %s at %d of %d bytes: %w", name, offset, size, store.ErrInvalidRange)
	}
	n := size - offset
	if length >= 0 && length < n {
		n = length
	}
	return &section{SectionReader: io.NewSectionReader(f, offset, n), f: f}, nil
}

// Stat describes name; a missing object is store.ErrObjectNotExist.
func (b *Backend) Stat(ctx context.Context, name string) (store.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, err
	}
	p, err := b.path(name)
	if err != nil {
		return store.ObjectInfo{}, err
	}
	fi, err := os.Stat(p)
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return store.ObjectInfo{}, notExist(name, err)
	}
	return store.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// notExist maps a missing file (or a directory standing where a file was
// expected) to store.ErrObjectNotExist and leaves other errors alone.
func notExist(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local backend: %s: %w", name, store.ErrObjectNotExist)
	}
	return fmt.Errorf("local backend: %s: %w", name, err)
}

// section reads a range of an open file and closes the file.
type section struct {
	*io.SectionReader
	f *os.File
}

func (s *section) Close() error { return s.f.Close() }

// WriteTo copies the rest of the section through a large pooled buffer, so
// io.Copy does not fall back to small reads (or to w's ReadFrom, which
// would use its own small buffer).
func (s *section) WriteTo(w io.Writer) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{s.SectionReader}, *bp)
}
