package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrObjectNotExist is returned by a Backend for a name it does not hold.
var ErrObjectNotExist = errors.New("backend object does not exist")

// ObjectInfo describes one backend object.
type ObjectInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// Backend stores immutable named objects. It is object-shaped on purpose:
// whole-object put, ranged read, stat, delete and list, and no rename or
// append, so that the local filesystem and S3 implement the same contract.
//
// Names are slash-separated relative paths made of [a-z0-9._-] segments
// (CheckObjectName), built by the store, never by a client. An invalid name
// is an error wrapping fs.ErrInvalid.
//
// Every implementation must pass the shared suite in store/backendtest.
type Backend interface {
	// Put stores the bytes read from r under name, replacing any object of
	// that name. The object becomes visible atomically and durably when Put
	// returns nil; if r fails or ctx is cancelled, Put returns an error
	// wrapping that cause and no object (and no partial object) of that name
	// becomes visible. A full backend is an error wrapping ErrNoSpace.
	Put(ctx context.Context, name string, r io.Reader) error

	// ReadRange returns length bytes of the object starting at offset.
	// length < 0 means to the end of the object. A range that starts past
	// the end is ErrInvalidRange; one that runs past the end is cut there.
	// A missing object is ErrObjectNotExist.
	ReadRange(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error)

	// Stat describes the object; a missing object is ErrObjectNotExist.
	Stat(ctx context.Context, name string) (ObjectInfo, error)

	// Delete removes the object. Deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error

	// List calls fn for every object whose name starts with prefix, in no
	// particular order. An error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
}

// SpaceReporter is implemented by backends that know how much room is left.
type SpaceReporter interface {
	// Available returns the number of bytes that can still be stored.
	Available(ctx context.Context) (int64, error)
}

// Reaper is implemented by backends that can leave leftovers of their own
// behind a crash (the local backend's temp files). The store's ReapOrphans
// calls Reap on every pass; it must never remove what a live writer, in
// this process or another, still uses.
type Reaper interface {
	// Reap removes such leftovers and returns how many it removed.
	Reap(ctx context.Context) (int, error)
}
