package store

import (
	"context"
	_ "crypto/sha256" // registers sha256 for go-digest
	_ "crypto/sha512" // registers sha512 for go-digest
	"fmt"
	"hash"
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
	defer s.foreground()()
	exists, damaged, err := s.blobState(ctx, s.db, d)
	if err != nil {
		return BlobInfo{}, err
	}
	info := BlobInfo{Digest: d, Size: size}
	if exists && !damaged {
		return info, s.verifyAndLink(ctx, repo, d, size, r)
	}
	// A new blob, or a damaged one whose bytes are stored anew to repair
	// it. Concurrent Puts of one digest never wait for each other: each
	// stores its own copy, the first to commit wins, and the others drop
	// theirs and link the winner's (claimBlob).
	if s.reserveStage(size) {
		up, err := s.stage(ctx, d, size, r)
		if err == nil {
			err = s.commitStaged(ctx, repo, info, up)
		}
		if err != nil {
			s.unreserveStage(size)
			return BlobInfo{}, err
		}
		return info, nil
	}
	rec, err := s.ingest(ctx, d, size, r)
	if err != nil {
		return BlobInfo{}, err
	}
	return info, s.commit(ctx, repo, info, rec)
}

// verifyAndLink reads and checks the bytes of a blob the store holds, and
// links it to repo.
func (s *Store) verifyAndLink(ctx context.Context, repo string, d digest.Digest, size int64, r io.Reader) error {
	if err := s.verifyOnly(d, size, r); err != nil {
		return err
	}
	return s.linkExisting(ctx, repo, d)
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

// sizeLimiter counts what passes through it and refuses to deliver more
// than size bytes, so an over-long body fails as soon as it is over.
type sizeLimiter struct {
	r    io.Reader
	n    int64
	size int64
}

func (l *sizeLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.size {
		return n, fmt.Errorf("%w: more than %d bytes received", ErrSizeMismatch, l.size)
	}
	return n, err
}

// check is called at EOF: exactly size bytes must have arrived.
func (l *sizeLimiter) check() error {
	if l.n != l.size {
		return fmt.Errorf("%w: received %d bytes, expected %d", ErrSizeMismatch, l.n, l.size)
	}
	return nil
}

// checkDigest compares the hash of the received bytes with the claim.
func checkDigest(d digest.Digest, h hash.Hash) error {
	if got := digest.NewDigest(d.Algorithm(), h); got != d {
		return fmt.Errorf("%w: received bytes hash to %s, expected %s", ErrDigestMismatch, got, d)
	}
	return nil
}

// verifyOnly consumes r and checks it against d and size without storing.
func (s *Store) verifyOnly(d digest.Digest, size int64, r io.Reader) error {
	l := &sizeLimiter{r: r, size: size}
	h := d.Algorithm().Hash()
	if _, err := io.CopyBuffer(h, l, make([]byte, 1<<20)); err != nil {
		return err
	}
	if err := l.check(); err != nil {
		return err
	}
	return checkDigest(d, h)
}
