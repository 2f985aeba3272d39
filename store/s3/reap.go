package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// uploadsDir holds a marker object for each multipart upload in flight,
// named UPLOADS/<random> under the prefix and holding "key\nuploadID". Not
// every S3 server lists multipart uploads by prefix (MinIO lists only
// those of one exact key), so the markers are how Reap finds the uploads a
// crash left. Upper case keeps the markers out of the store's names.
const uploadsDir = "UPLOADS/"

// markUpload records the multipart upload id of key and returns the
// marker's key.
func (b *Backend) markUpload(ctx context.Context, key, id string) (string, error) {
	marker := b.prefix + uploadsDir + strings.ToLower(rand.Text())
	body := key + "\n" + id
	err := sendRetrying(ctx, func() error {
		_, err := b.put.PutObject(ctx, b.cfg.Bucket, marker, strings.NewReader(body), int64(len(body)), "", "", putOptions)
		return err
	})
	if err != nil {
		return "", err
	}
	return marker, nil
}

// staleUpload is how old an incomplete multipart upload must be before
// Reap aborts it: another process may be sending it right now, and no Put
// takes an hour per part.
const staleUpload = time.Hour

// Reap aborts the multipart uploads under the prefix that were started
// more than an hour ago and never completed: what a crash or a failed
// abort leaves behind, whose parts S3 would otherwise keep (and bill) for
// ever. It returns how many it aborted.
func (b *Backend) Reap(ctx context.Context) (int, error) {
	return b.reapOlderThan(ctx, staleUpload)
}

func (b *Backend) reapOlderThan(ctx context.Context, age time.Duration) (int, error) {
	cutoff := time.Now().Add(-age)
	marked, err := b.reapMarked(ctx, cutoff)
	if err != nil {
		return marked, err
	}
	listed, err := b.reapListed(ctx, cutoff)
	return marked + listed, err
}

// reapMarked aborts the uploads whose markers are older than cutoff and
// removes the markers.
func (b *Backend) reapMarked(ctx context.Context, cutoff time.Time) (int, error) {
	var markers []string
	for obj := range b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{Prefix: b.prefix + uploadsDir, Recursive: true}) {
		if obj.Err != nil {
			return 0, b.fail(ctx, "list upload markers under", b.prefix, obj.Err)
		}
		if obj.LastModified.Before(cutoff) {
			markers = append(markers, obj.Key)
		}
	}
	n := 0
	for _, m := range markers {
		key, id, err := b.readMarker(ctx, m)
		if err != nil {
			return n, err
		}
		if id != "" {
			err := b.core.AbortMultipartUpload(ctx, b.cfg.Bucket, key, id)
			if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
				return n, b.fail(ctx, "abort multipart upload of", key, err)
			}
			if err == nil {
				n++
			}
		}
		if err := b.client.RemoveObject(ctx, b.cfg.Bucket, m, minio.RemoveObjectOptions{}); err != nil {
			return n, b.fail(ctx, "remove upload marker", m, err)
		}
	}
	return n, nil
}

// readMarker returns the key and upload id a marker records; "" for a
// marker that holds neither (it is removed).
func (b *Backend) readMarker(ctx context.Context, marker string) (key, id string, err error) {
	body, _, _, err := b.core.GetObject(ctx, b.cfg.Bucket, marker, minio.GetObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return "", "", nil
		}
		return "", "", b.fail(ctx, "read upload marker", marker, err)
	}
	defer body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(body, 4096)); err != nil {
		return "", "", fmt.Errorf("s3 backend: read upload marker %s: %w", marker, err)
	}
	key, id, ok := strings.Cut(buf.String(), "\n")
	if !ok || !strings.HasPrefix(key, b.prefix) {
		return "", "", nil
	}
	return key, id, nil
}

// reapListed aborts the uploads under the prefix older than cutoff that
// the server lists by prefix (AWS does; MinIO lists none this way).
func (b *Backend) reapListed(ctx context.Context, cutoff time.Time) (int, error) {
	type upload struct{ key, id string }
	var stale []upload
	keyMarker, idMarker := "", ""
	for {
		res, err := b.core.ListMultipartUploads(ctx, b.cfg.Bucket, b.prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return 0, b.fail(ctx, "list multipart uploads under", b.prefix, err)
		}
		for _, u := range res.Uploads {
			if u.Initiated.Before(cutoff) {
				stale = append(stale, upload{u.Key, u.UploadID})
			}
		}
		if !res.IsTruncated {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	n := 0
	for _, u := range stale {
		err := b.core.AbortMultipartUpload(ctx, b.cfg.Bucket, u.key, u.id)
		if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
			return n, b.fail(ctx, "abort multipart upload of", u.key, err)
		}
		n++
	}
	return n, nil
}
