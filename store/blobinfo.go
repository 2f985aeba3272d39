package store

import "github.com/opencontainers/go-digest"

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Digest digest.Digest
	Size   int64
	// Damaged: some of the blob's stored bytes failed verification on a
	// read (quarantine.go). Reads fail with ErrDamaged until the blob is
	// uploaded again, which repairs it; uploaders should treat it as
	// missing.
	Damaged bool
}
