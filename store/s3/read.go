package s3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/ballastml/ballast/store"
)

// ReadRange returns a ranged GET of the object: length bytes from offset,
// cut at its end; length < 0 reads to the end.
func (b *Backend) ReadRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	key, err := b.key(name)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("s3 backend: read %s at %d: %w", name, offset, store.ErrInvalidRange)
	}
	if length == 0 {
		return b.emptyAt(ctx, name, offset)
	}
	var opts minio.GetObjectOptions
	switch {
	case length > 0:
		err = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		err = opts.SetRange(offset, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("s3 backend: read %s: %w", name, err)
	}
	body, _, _, err := b.core.GetObject(ctx, b.cfg.Bucket, key, opts)
	if err == nil {
		return body, nil
	}
	if minio.ToErrorResponse(err).Code == "InvalidRange" {
		// S3 refuses a range starting at the end; an empty read there is
		// what the contract asks.
		return b.emptyAt(ctx, name, offset)
	}
	return nil, b.classify(ctx, "read", name, err)
}

// emptyAt returns an empty reader if offset is within or at the end of the
// object, else ErrInvalidRange (or ErrObjectNotExist).
func (b *Backend) emptyAt(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	info, err := b.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	if offset > info.Size {
		return nil, fmt.Errorf("s3 backend: read %s at %d of %d bytes: %w", name, offset, info.Size, store.ErrInvalidRange)
	}
	return io.NopCloser(strings.NewReader("")), nil
}

// Stat describes the object.
func (b *Backend) Stat(ctx context.Context, name string) (store.ObjectInfo, error) {
	key, err := b.key(name)
	if err != nil {
		return store.ObjectInfo{}, err
	}
	info, err := b.client.StatObject(ctx, b.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return store.ObjectInfo{}, b.classify(ctx, "stat", name, err)
	}
	return store.ObjectInfo{Name: name, Size: info.Size, ModTime: info.LastModified}, nil
}

// Delete removes the object; a missing one is not an error.
func (b *Backend) Delete(ctx context.Context, name string) error {
	key, err := b.key(name)
	if err != nil {
		return err
	}
	err = b.client.RemoveObject(ctx, b.cfg.Bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchKey" {
		return b.fail(ctx, "delete", name, err)
	}
	return nil
}

// classify maps a missing object to store.ErrObjectNotExist and an
// unsatisfiable range to store.ErrInvalidRange.
func (b *Backend) classify(ctx context.Context, op, name string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || resp.Code == "NotFound" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket"):
		return fmt.Errorf("s3 backend: %s %s: %w", op, name, store.ErrObjectNotExist)
	case resp.Code == "InvalidRange":
		return fmt.Errorf("s3 backend: %s %s: %w", op, name, store.ErrInvalidRange)
	}
	return b.fail(ctx, op, name, err)
}
