package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/ballastml/ballast/store"
)

const (
	// smallObject is the most a Put sends as one PUT; it is also the first
	// part's buffer of a larger one.
	smallObject = 8 << 20
	// partSize is the size of the other parts of a multipart upload. S3
	// allows 10,000 parts, so objects up to 156 GiB.
	partSize = 16 << 20
	maxParts = 10_000
)

var (
	smallPool = sync.Pool{New: func() any { b := make([]byte, smallObject); return &b }}
	partPool  = sync.Pool{New: func() any { b := make([]byte, partSize); return &b }}
)

// Put stores what r yields under name. S3 shows an object only once its
// PUT or multipart upload completes, so no partial object is ever visible;
// a multipart upload that fails is aborted (and Reap aborts those a crash
// leaves).
func (b *Backend) Put(ctx context.Context, name string, r io.Reader) error {
	key, err := b.key(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	first := smallPool.Get().(*[]byte)
	defer smallPool.Put(first)
	n, err := io.ReadFull(r, *first)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		_, err = b.core.PutObject(ctx, b.cfg.Bucket, key, bytes.NewReader((*first)[:n]), int64(n), "", "", putOptions)
		return b.fail(ctx, "put", name, err)
	case err != nil:
		return fmt.Errorf("s3 backend: put %s: %w", name, err)
	}
	return b.putMultipart(ctx, name, key, (*first)[:n], r)
}

var putOptions = minio.PutObjectOptions{ContentType: "application/octet-stream"}

// putMultipart uploads first, then the rest of r in parts, one part at a
// time, and completes the upload; on any failure it aborts it.
func (b *Backend) putMultipart(ctx context.Context, name, key string, first []byte, r io.Reader) (err error) {
	id, err := b.core.NewMultipartUpload(ctx, b.cfg.Bucket, key, putOptions)
	if err != nil {
		return b.fail(ctx, "start multipart upload of", name, err)
	}
	marker, err := b.markUpload(ctx, key, id)
	defer func() {
		// Even when ctx is done: parts cost storage until aborted.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), responseHeaderTimeout)
		defer cancel()
		if err != nil && b.core.AbortMultipartUpload(actx, b.cfg.Bucket, key, id) != nil {
			return // the marker stays, for Reap
		}
		if marker != "" {
			b.client.RemoveObject(actx, b.cfg.Bucket, marker, minio.RemoveObjectOptions{})
		}
	}()
	if err != nil {
		return b.fail(ctx, "record the multipart upload of", name, err)
	}
	buf := partPool.Get().(*[]byte)
	defer partPool.Put(buf)
	var parts []minio.CompletePart
	part := first
	for num := 1; ; num++ {
		p, err := b.core.PutObjectPart(ctx, b.cfg.Bucket, key, id, num, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{})
		if err != nil {
			return b.fail(ctx, "put part of", name, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
		n, rerr := io.ReadFull(r, *buf)
		if n == 0 && (errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)) {
			break
		}
		if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return fmt.Errorf("s3 backend: put %s: %w", name, rerr)
		}
		if num == maxParts {
			return fmt.Errorf("s3 backend: put %s: more than %d parts of %d bytes", name, maxParts, partSize)
		}
		part = (*buf)[:n]
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = b.core.CompleteMultipartUpload(ctx, b.cfg.Bucket, key, id, parts, putOptions)
	return b.fail(ctx, "complete multipart upload of", name, err)
}

// fail wraps err of op on name; nil stays nil. A done context is reported
// as its own error, so callers see context.Canceled; a server that did not
// answer, or answered that it is unavailable, after minio-go's retries, is
// store.ErrUnavailable.
func (b *Backend) fail(ctx context.Context, op, name string, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("s3 backend: %s %s: %w (%v)", op, name, ctx.Err(), err)
	case ctx.Err() == nil && unavailable(err):
		return fmt.Errorf("s3 backend: %s %s: %w: %w", op, name, store.ErrUnavailable, err)
	}
	return fmt.Errorf("s3 backend: %s %s: %w", op, name, err)
}

// unavailable reports whether err says the server is down, overloaded or
// unreachable, rather than refusing the request.
func unavailable(err error) bool {
	var nerr net.Error
	if errors.As(err, &nerr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "XMinioServerNotInitialized":
		return true
	}
	return resp.StatusCode >= 500
}
