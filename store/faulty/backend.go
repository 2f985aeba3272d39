package faulty

import (
	"context"
	"fmt"
	"io"

	"github.com/ballastml/ballast/store"
)

// Put applies the put knobs, then forwards to the inner backend.
func (f *Backend) Put(ctx context.Context, name string, r io.Reader) error {
	f.mu.Lock()
	f.puts++
	fail := f.failPutAt > 0 && f.puts >= f.failPutAt
	n, err := f.putBytes, f.putErr
	f.mu.Unlock()
	if fail {
		return fmt.Errorf("faulty backend: put %s: %w", name, ErrInjected)
	}
	if n >= 0 {
		r = &failAfter{r: r, n: n, err: err}
	}
	return f.inner.Put(ctx, name, r)
}

// ReadRange forwards to the inner backend and applies the read knobs of
// name to the result.
func (f *Backend) ReadRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	f.mu.Lock()
	failErr := f.failReads[name]
	at, corrupt := f.corrupt[name]
	if a, ok := f.once[name]; ok {
		at, corrupt = a, true
		delete(f.once, name)
	}
	truncate := f.truncate[name]
	f.mu.Unlock()
	if failErr != nil {
		return nil, fmt.Errorf("faulty backend: read %s: %w", name, failErr)
	}
	rc, err := f.inner.ReadRange(ctx, name, offset, length)
	if err == nil && truncate {
		rc, err = f.truncated(ctx, rc, name, offset, length)
	}
	if err == nil && corrupt {
		rc = &flipper{ReadCloser: rc, pos: offset, at: at}
	}
	return rc, err
}

// truncated wraps rc so that it yields half of the range's bytes.
func (f *Backend) truncated(ctx context.Context, rc io.ReadCloser, name string, offset, length int64) (io.ReadCloser, error) {
	info, err := f.inner.Stat(ctx, name)
	if err != nil {
		rc.Close()
		return nil, err
	}
	n := info.Size - offset
	if length >= 0 && length < n {
		n = length
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, n/2), rc}, nil
}

// Stat forwards to the inner backend.
func (f *Backend) Stat(ctx context.Context, name string) (store.ObjectInfo, error) {
	return f.inner.Stat(ctx, name)
}

// Delete forwards to the inner backend.
func (f *Backend) Delete(ctx context.Context, name string) error {
	return f.inner.Delete(ctx, name)
}

// List forwards to the inner backend.
func (f *Backend) List(ctx context.Context, prefix string, fn func(store.ObjectInfo) error) error {
	return f.inner.List(ctx, prefix, fn)
}
