package memory

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ballastml/ballast/store"
)

// Backend keeps objects in a map guarded by a mutex. Stored bytes are never
// shared with callers: Put reads into a fresh slice, ReadRange copies out.
type Backend struct {
	mu   sync.RWMutex
	objs map[string]object
}

type object struct {
	data []byte
	mod  time.Time
}

var _ store.Backend = (*Backend)(nil)

// New returns an empty Backend.
func New() *Backend {
	return &Backend{objs: make(map[string]object)}
}

// Put reads r to the end and only then stores its bytes under name; a read
// error or a cancelled ctx leaves the map untouched.
func (b *Backend) Put(ctx context.Context, name string, r io.Reader) error {
	if err := store.CheckObjectName(name); err != nil {
		return err
	}
	data, err := io.ReadAll(ctxReader{ctx, r})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("memory backend: put %s: %w", name, err)
	}
	b.mu.Lock()
	b.objs[name] = object{data: data, mod: time.Now()}
	b.mu.Unlock()
	return nil
}

// ReadRange returns a copy of length bytes of name from offset, cut at the
// end; length < 0 reads to the end. An offset past the end is
// store.ErrInvalidRange.
func (b *Backend) ReadRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	o, err := b.get(ctx, name)
	if err != nil {
		return nil, err
	}
	size := int64(len(o.data))
	if offset < 0 || offset > size {
		return nil, fmt.Errorf("memory backend: read %s at %d of %d bytes: %w", name, offset, size, store.ErrInvalidRange)
	}
	end := size
	if length >= 0 && length < size-offset {
		end = offset + length
	}
	return io.NopCloser(bytes.NewReader(slices.Clone(o.data[offset:end]))), nil
}

// Stat describes name.
func (b *Backend) Stat(ctx context.Context, name string) (store.ObjectInfo, error) {
	o, err := b.get(ctx, name)
	if err != nil {
		return store.ObjectInfo{}, err
	}
	return o.info(name), nil
}

// Delete removes name; a missing object is not an error.
func (b *Backend) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckObjectName(name); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.objs, name)
	b.mu.Unlock()
	return nil
}

// List calls fn, in name order, for every object whose name starts with
// prefix, on a snapshot taken when List starts; fn may call b.
func (b *Backend) List(ctx context.Context, prefix string, fn func(store.ObjectInfo) error) error {
	var infos []store.ObjectInfo
	b.mu.RLock()
	for _, name := range slices.Sorted(maps.Keys(b.objs)) {
		if strings.HasPrefix(name, prefix) {
			infos = append(infos, b.objs[name].info(name))
		}
	}
	b.mu.RUnlock()
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) get(ctx context.Context, name string) (object, error) {
	if err := ctx.Err(); err != nil {
		return object{}, err
	}
	if err := store.CheckObjectName(name); err != nil {
		return object{}, err
	}
	b.mu.RLock()
	o, ok := b.objs[name]
	b.mu.RUnlock()
	if !ok {
		return object{}, fmt.Errorf("memory backend: %s: %w", name, store.ErrObjectNotExist)
	}
	return o, nil
}

func (o object) info(name string) store.ObjectInfo {
	return store.ObjectInfo{Name: name, Size: int64(len(o.data)), ModTime: o.mod}
}

// ctxReader fails reads once ctx is done, so a cancelled Put stops early.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
