package s3

import (
	"context"
	"time"

	"github.com/minio/minio-go/v7"
)

// ReapOlderThan is Reap with another age, for tests.
func (b *Backend) ReapOlderThan(ctx context.Context, age time.Duration) (int, error) {
	return b.reapOlderThan(ctx, age)
}

// StartUpload starts a multipart upload of name, with its marker, and
// leaves it incomplete, as a crash would.
func (b *Backend) StartUpload(ctx context.Context, name string) error {
	key, err := b.key(name)
	if err != nil {
		return err
	}
	id, err := b.core.NewMultipartUpload(ctx, b.cfg.Bucket, key, putOptions)
	if err == nil {
		_, err = b.markUpload(ctx, key, id)
	}
	return err
}

// UploadsOf counts the incomplete multipart uploads of one name.
func (b *Backend) UploadsOf(ctx context.Context, name string) (int, error) {
	res, err := b.core.ListMultipartUploads(ctx, b.cfg.Bucket, b.prefix+name, "", "", "", 1000)
	return len(res.Uploads), err
}

// Markers counts the upload markers under the prefix.
func (b *Backend) Markers(ctx context.Context) int {
	n := 0
	for range b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{Prefix: b.prefix + uploadsDir, Recursive: true}) {
		n++
	}
	return n
}
