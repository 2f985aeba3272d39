package store

import "github.com/opencontainers/go-digest"

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Digest digest.Digest
	Size   int64
}
