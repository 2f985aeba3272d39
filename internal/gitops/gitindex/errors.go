package gitindex

import "errors"

// Errors of the gitindex package. Callers classify failures with errors.Is.
var (
	// ErrNotConnected: the repository has no Git source.
	ErrNotConnected = errors.New("repository is not connected to Git")
	// ErrUnknownRef: no tag, branch or indexed commit matches the ref.
	ErrUnknownRef = errors.New("unknown ref")
	// ErrInvalidSource: the URL, credentials, patterns or repository name
	// given to Connect are not acceptable.
	ErrInvalidSource = errors.New("invalid Git source")
	// ErrUnreachable: the remote could not be reached or refused access.
	ErrUnreachable = errors.New("Git remote unreachable")
	// ErrNotGit: the remote answered, but there is no Git repository there.
	ErrNotGit = errors.New("not a Git repository")
	// ErrInvalidOID: an LFS oid is not 64 hex digits (optionally
	// prefixed "sha256:").
	ErrInvalidOID = errors.New("invalid LFS oid")
	// ErrInvalidCursor: a pagination cursor was not produced by this package.
	ErrInvalidCursor = errors.New("invalid cursor")
)
