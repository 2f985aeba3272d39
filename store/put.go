package store

import (
	"context"
	_ "crypto/sha256" // registers sha256 for go-digest
	_ "crypto/sha512" // registers sha512 for go-digest
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
)

// Put reads exactly size bytes from r, checks that they hash to d, stores
// them and links the blob to repo (creating repo if it is new).
//
// The bytes are always read and hashed in full, even when the store already
// holds the blob: dedup saves storage, never verification (a client cannot
// claim a digest it does not have). On any error nothing becomes visible.
func (s *Store) Put(ctx context.Context, repo string, d digest.Digest, size int64, r io.Reader) (BlobInfo, error) {
	if err := validateDigest(d); err != nil {
		return BlobInfo{}, err
	}
	if size < 0 {
		return BlobInfo{}, fmt.Errorf("%w: negative size %d", ErrSizeMismatch, size)
	}
	unlock := s.digestLocks.lock(d.String())
	defer unlock()

	exists, err := s.blobExists(ctx, d)
	if err != nil {
		return BlobInfo{}, err
	}
	info := BlobInfo{Digest: d, Size: size}
	if exists {
		if err := s.verifyOnly(d, size, r); err != nil {
			return BlobInfo{}, err
		}
		return info, s.link(ctx, repo, d)
	}
	rec, err := s.ingest(ctx, d, size, r)
	if err != nil {
		return BlobInfo{}, err
	}
	return info, s.commit(ctx, repo, info, rec)
}

// validateDigest accepts sha256 and sha512 digests in canonical form.
func validateDigest(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrInvalidDigest, d, err)
	}
	switch d.Algorithm() {
	case digest.SHA256, digest.SHA512:
		return nil
	}
	return fmt.Errorf("%w: unsupported algorithm %q", ErrInvalidDigest, d.Algorithm())
}

// verifyingReader hashes and counts what passes through it and refuses to
// deliver more than size bytes.
// Hashing runs on a second goroutine (asyncHasher); call check or close
// exactly once when done.
type verifyingReader struct {
	r    io.Reader
	h    *asyncHasher
	n    int64
	size int64
}

func newVerifyingReader(r io.Reader, d digest.Digest, size int64) *verifyingReader {
	return &verifyingReader{r: r, h: newAsyncHasher(d.Algorithm().Hash()), size: size}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if v.n > v.size {
		return n, fmt.Errorf("%w: more than %d bytes received", ErrSizeMismatch, v.size)
	}
	return n, err
}

// close stops the hasher without checking (on error paths).
func (v *verifyingReader) close() { v.h.stop() }

// check is called at EOF: count and digest must both match.
func (v *verifyingReader) check(d digest.Digest) error {
	h := v.h.Sum()
	if v.n != v.size {
		return fmt.Errorf("%w: received %d bytes, expected %d", ErrSizeMismatch, v.n, v.size)
	}
	if got := digest.NewDigest(d.Algorithm(), h); got != d {
		return fmt.Errorf("%w: received bytes hash to %s, expected %s", ErrDigestMismatch, got, d)
	}
	return nil
}

// verifyOnly consumes r and checks it against d and size without storing.
func (s *Store) verifyOnly(d digest.Digest, size int64, r io.Reader) error {
	v := newVerifyingReader(r, d, size)
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(io.Discard, v, buf); err != nil {
		v.close()
		return err
	}
	return v.check(d)
}
