package local

import (
	"os"

	"golang.org/x/sys/unix"
)

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
