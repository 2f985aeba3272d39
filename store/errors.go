package store

import (
	"errors"
	"fmt"

	"github.com/ballastml/ballast/internal/platform/db"
)

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
	// ErrDamaged: the blob's stored bytes failed verification on an
	// earlier read and are quarantined; an upload of the blob repairs it.
	// It wraps ErrCorrupt.
	ErrDamaged = fmt.Errorf("%w: the stored copy is damaged; upload the blob again to repair it", ErrCorrupt)
	// ErrBusy: the uploads in progress hold all the memory the store
	// allows them (Options.UploadMemory) and none freed any in time.
	ErrBusy = errors.New("the server is busy with other uploads; retry")
	// ErrUnavailable: the backend did not answer, or answered that it is
	// unavailable, after its own retries. Nothing was half done: a Put
	// that fails this way recorded nothing. Clients should retry later.
	ErrUnavailable = errors.New("the object store is unavailable; retry later")
	// ErrNoSpace: the backend has no room for the data.
	ErrNoSpace = errors.New("no space left in storage backend")
	// ErrRetry: a Put lost a race with garbage collection, which deleted a
	// blob or chunk the Put had found present; nothing was recorded, and
	// the same Put tried again stores the bytes anew.
	ErrRetry = errors.New("stored data changed during the upload; retry")
)

// IsUnavailable reports whether err means that the backend or the
// metadata database did not answer (ErrUnavailable, db.IsUnavailable):
// clients get 503 with Retry-After, and the same request succeeds once the
// service is back.
func IsUnavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || db.IsUnavailable(err)
}

// IsNoSpace reports whether err means that storage ran out of room: the
// backend's ErrNoSpace, the operating system's ENOSPC or EDQUOT from any
// file the server writes, or a full metadata database. Every one of them
// answers 507 and passes once space is freed.
func IsNoSpace(err error) bool {
	return errors.Is(err, ErrNoSpace) || db.IsNoSpace(err)
}
