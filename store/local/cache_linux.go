package local

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// writebackEvery is how many bytes of a temp file may be dirty before
// their writeback to disk is started.
const writebackEvery = 8 << 20

// dropLag is how far behind the writeback started last the cache is
// dropped: far enough that the disk has usually finished those bytes, so
// waiting for them costs nothing.
const dropLag = 8 << 20

// writebackWriter writes to f and starts the writeback of every
// writebackEvery bytes as soon as they are written (sync_file_range, which
// does not wait). The disk then works while the object is still being
// written, and the fsync that ends a Put waits for the last few MiB rather
// than for the whole object. What was started dropLag bytes before is
// waited for and dropped from the page cache (see dropCache), so a large
// object holds a few tens of MiB of cache at most, and its next pages
// reuse those just freed. Errors of the advice are ignored: the fsync
// reports any that matter.
type writebackWriter struct {
	f       *os.File
	fd      int   // f's descriptor, taken once: Fd may cost a system call
	dropped int64 // bytes written back and dropped from the cache
	started int64 // bytes whose writeback was started
	written int64
}

func newFileWriter(f *os.File) io.Writer { return &writebackWriter{f: f, fd: int(f.Fd())} }

func (w *writebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.started >= writebackEvery {
		_ = unix.SyncFileRange(w.fd, w.started, w.written-w.started, unix.SYNC_FILE_RANGE_WRITE)
		if end := w.started - dropLag; end > w.dropped {
			_ = unix.SyncFileRange(w.fd, w.dropped, end-w.dropped,
				unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
			_ = unix.Fadvise(w.fd, w.dropped, end-w.dropped, unix.FADV_DONTNEED)
			w.dropped = end
		}
		w.started = w.written
	}
	return n, err
}

// dropCache tells the kernel that the synced bytes of f need not stay in
// the page cache. Packs are written once and read far less often than they
// are written, so caching them only evicts hotter data; and on machines
// where fresh page-cache pages are expensive to allocate (virtual machines
// whose memory is backed lazily), reusing the pages just dropped cuts the
// system time of a large upload by about half. The call is advice: an
// error changes nothing and is ignored.
func dropCache(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
