//go:build !(linux || darwin || freebsd)

package local

import (
	"context"
	"errors"
)

// Available is not implemented on this platform.
func (b *Backend) Available(ctx context.Context) (int64, error) {
	return 0, errors.ErrUnsupported
}
