package store

import "errors"

// Errors returned by the store. Callers classify with errors.Is; protocol
// packages map them to status codes in one table each.
var (
	// ErrNotFound: the blob is not linked to the repository (or does not exist).
	ErrNotFound = errors.New("blob not found")
	// ErrDigestMismatch: the received bytes do not hash to the claimed digest.
	ErrDigestMismatch = errors.New("content does not match digest")
	// ErrSizeMismatch: the number of received bytes differs from the claimed size.
	ErrSizeMismatch = errors.New("content does not match size")
	// ErrInvalidDigest: the digest is malformed or uses an unsupported algorithm.
	ErrInvalidDigest = errors.New("invalid digest")
	// ErrInvalidRange: the requested byte range is not satisfiable.
	ErrInvalidRange = errors.New("invalid range")
	// ErrCorrupt: stored data failed verification; the read was aborted.
	ErrCorrupt = errors.New("stored data is corrupt")
	// ErrNoSpace: the backend has no room for the data.
	ErrNoSpace = errors.New("no space left in storage backend")
	// ErrRetry: a Put lost a race with garbage collection, which deleted a
	// blob or chunk the Put had found present; nothing was recorded, and
	// the same Put tried again stores the bytes anew.
	ErrRetry = errors.New("stored data changed during the upload; retry")
)
