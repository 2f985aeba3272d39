//go:build linux || darwin || freebsd

package local

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// Available returns the bytes an unprivileged writer can still store in the
// file system holding the root, as statfs reports them.
func (b *Backend) Available(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(b.root, &st); err != nil {
		return 0, fmt.Errorf("local backend: statfs: %w", err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
