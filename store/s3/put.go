package s3

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

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
		data := (*first)[:n]
		err = sendRetrying(ctx, func() error {
			_, err := b.put.PutObject(ctx, b.cfg.Bucket, key, bytes.NewReader(data), int64(len(data)), "", "", putOptions)
			return err
		})
		return b.fail(ctx, "put", name, err)
	case err != nil:
		return fmt.Errorf("s3 backend: put %s: %w", name, err)
	}
	return b.putMultipart(ctx, name, key, (*first)[:n], r)
}

// putOptions and partOptions send the payload unsigned, as minio-go does
// over TLS anyway. Over plain HTTP it would otherwise use SigV4 streaming
// signatures, a SHA-256 of every 64 KiB on both ends, which halved push
// throughput against a MinIO on the same machine; the store verifies what
// it reads back (chunk and block hashes) whatever the transport did.
// The bytes are checked on the way instead by a CRC32C (hardware-fast),
// which the S3 server verifies before it stores them: a small object's
// with minio-go's checksum option, a part's in its x-amz-checksum-crc32c
// header (partOptionsFor).
var putOptions = minio.PutObjectOptions{ContentType: "application/octet-stream", DisableContentSha256: true,
	Checksum: minio.ChecksumCRC32C}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// partOptionsFor returns the options of a part holding data: its CRC32C,
// for the server to check.
func partOptionsFor(data []byte) minio.PutObjectPartOptions {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.Checksum(data, castagnoli))
	h := http.Header{}
	h.Set("X-Amz-Checksum-Crc32c", base64.StdEncoding.EncodeToString(sum[:]))
	return minio.PutObjectPartOptions{DisableContentSha256: true, CustomHeader: h}
}

// putMultipart uploads first, then the rest of r in parts, and completes
// the upload; on any failure it aborts it.
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
	parts, err := b.sendParts(ctx, name, key, id, first, r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = b.core.CompleteMultipartUpload(ctx, b.cfg.Bucket, key, id, parts, putOptions)
	return b.fail(ctx, "complete multipart upload of", name, err)
}

// partsInFlight is how many parts of one Put are sent at once.
const partsInFlight = 2

// sendParts sends first as part 1 and the rest of r as the next parts,
// partsInFlight at a time while the next is read, so the client and S3 both
// keep moving; a Put holds partsInFlight+1 part buffers and first.
func (b *Backend) sendParts(ctx context.Context, name, key, id string, first []byte, r io.Reader) ([]minio.CompletePart, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type part struct {
		num  int
		data []byte
		buf  *[]byte // to give back once sent; nil for first
	}
	todo := make(chan part)
	free := make(chan *[]byte, partsInFlight+1)
	for range cap(free) {
		free <- partPool.Get().(*[]byte)
	}
	defer func() {
		for len(free) > 0 {
			partPool.Put(<-free)
		}
	}()
	var (
		mu      sync.Mutex // guards parts and sendErr
		parts   []minio.CompletePart
		sendErr error
		senders sync.WaitGroup
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return sendErr != nil
	}
	for range partsInFlight {
		senders.Go(func() {
			for p := range todo {
				if !failed() {
					partOpts := partOptionsFor(p.data)
					var up minio.ObjectPart
					err := sendRetrying(ctx, func() error {
						var err error
						up, err = b.put.PutObjectPart(ctx, b.cfg.Bucket, key, id, p.num, bytes.NewReader(p.data), int64(len(p.data)), partOpts)
						return err
					})
					mu.Lock()
					if err != nil {
						if sendErr == nil {
							sendErr = b.fail(ctx, "put part of", name, err)
						}
						cancel() // the reader stops
					} else {
						parts = append(parts, minio.CompletePart{PartNumber: p.num, ETag: up.ETag})
					}
					mu.Unlock()
				}
				if p.buf != nil {
					free <- p.buf
				}
			}
		})
	}
	readErr := func() error {
		todo <- part{num: 1, data: first}
		for num := 2; ; num++ {
			var buf *[]byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return nil // the sender failed (its error is returned) or ctx is done
			}
			n, err := io.ReadFull(r, *buf)
			switch {
			case n == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
				free <- buf
				return nil
			case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
				free <- buf
				return fmt.Errorf("s3 backend: put %s: %w", name, err)
			case num > maxParts:
				free <- buf
				return fmt.Errorf("s3 backend: put %s: more than %d parts of %d bytes", name, maxParts, partSize)
			}
			todo <- part{num: num, data: (*buf)[:n], buf: buf}
		}
	}()
	close(todo)
	senders.Wait()
	switch {
	case sendErr != nil:
		return nil, sendErr
	case readErr != nil:
		return nil, readErr
	}
	// S3 wants the parts in order; they finish in any.
	slices.SortFunc(parts, func(a, b minio.CompletePart) int { return a.PartNumber - b.PartNumber })
	return parts, nil
}

// putAttempts bounds the attempts of one request with a body.
const putAttempts = 8

// sendRetrying runs send until it succeeds, fails for a reason another
// attempt cannot fix, or ctx ends, at most putAttempts times, waiting
// between attempts a random time up to a bound that doubles from 100 ms
// to 5 s (exponential backoff with full jitter).
func sendRetrying(ctx context.Context, send func() error) error {
	bound := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || attempt == putAttempts || ctx.Err() != nil || !(unavailable(err) || garbled(err)) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(rand.N(bound)):
		}
		bound = min(2*bound, 5*time.Second)
	}
}

// garbled reports whether the server refused a body whose checksum did
// not match: bytes changed on the way, which another attempt sends again.
func garbled(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "BadDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch", "InvalidDigest":
		return true
	}
	return false
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
