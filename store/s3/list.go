package s3

import (
	"context"
	"fmt"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/ballastml/ballast/store"
)

// List calls fn for every object whose name starts with prefix.
func (b *Backend) List(ctx context.Context, prefix string, fn func(store.ObjectInfo) error) error {
	if store.CheckObjectName(prefix+"x") != nil {
		return nil // no valid name starts with prefix ("../", "a//")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when fn fails
	for obj := range b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{Prefix: b.prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			return b.fail(ctx, "list", prefix, obj.Err)
		}
		name := strings.TrimPrefix(obj.Key, b.prefix)
		if store.CheckObjectName(name) != nil {
			continue // not one of ours (someone else's object under the prefix)
		}
		if err := fn(store.ObjectInfo{Name: name, Size: obj.Size, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 backend: list %s: %w", prefix, err)
	}
	return nil
}
