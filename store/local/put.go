package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/ballastml/ballast/store"
)

// bufSize is the copy buffer size. Packs are tens of MiB; large buffers keep
// the number of system calls, and so the cost per byte, low.
const bufSize = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// Put writes r into a temp file, fsyncs it, renames it to name and fsyncs
// the directory. On any error the temp file is removed and nothing of name
// changes. Running out of space is reported as store.ErrNoSpace.
func (b *Backend) Put(ctx context.Context, name string, r io.Reader) error {
	p, err := b.path(name)
	if err != nil {
		return err
	}
	tmp, err := b.writeTemp(ctx, r)
	if err == nil {
		err = b.publish(tmp, p)
	}
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return fmt.Errorf("local backend: put %s: %w", name, classify(err))
	}
	return nil
}

// writeTemp copies r into a new, randomly named temp file and syncs it. It
// returns the temp file's path, also on error, for the caller to remove.
func (b *Backend) writeTemp(ctx context.Context, r io.Reader) (string, error) {
	f, err := os.CreateTemp(b.tmp, b.owner.tempPattern())
	if err != nil {
		return "", err
	}
	err = copyCtx(ctx, newFileWriter(f), r)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		dropCache(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

// publish moves the synced temp file to its final path durably. A Delete
// may remove the emptied directory between mkdirs and the rename
// (pruneDir); the rename then finds no directory and is tried again.
func (b *Backend) publish(tmp, p string) error {
	dir := filepath.Dir(p)
	for try := 0; ; try++ {
		if err := b.mkdirs(dir); err != nil {
			return err
		}
		err := os.Rename(tmp, p)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || try == 2 {
			return err
		}
		if _, serr := os.Stat(tmp); serr != nil {
			return err // the temp file itself is gone
		}
	}
	return syncDir(dir)
}

// copyCtx copies r to w, checking ctx before each write or read so that a
// cancelled Put stops within one buffer. A reader that implements
// io.WriterTo (the store's pack pipe does) writes its own bytes, with no
// copy through a buffer here; any other is read through a pooled buffer.
func copyCtx(ctx context.Context, w io.Writer, r io.Reader) error {
	if wt, ok := r.(io.WriterTo); ok {
		_, err := wt.WriteTo(ctxWriter{ctx, w})
		return err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			wn, werr := w.Write(buf[:n])
			if werr != nil {
				return werr
			}
			if wn != n {
				return io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// ctxWriter fails its writes once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// mkdirs creates dir and its missing parents, syncing the parent of each
// new directory so that the directory survives a crash. The root exists, so
// the recursion ends there.
func (b *Backend) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := b.mkdirs(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// syncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// classify marks a full disk or exhausted quota as store.ErrNoSpace, keeping
// the original error in the chain.
func classify(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", store.ErrNoSpace, err)
	}
	return err
}
