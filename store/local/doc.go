// Package local is the local-filesystem store.Backend.
//
// Each object is one file under the backend's root directory, at the path
// its name spells. Put writes into a randomly named temp file under
// <root>/.tmp, fsyncs it, renames it into place and fsyncs the directory, so
// an object is either absent or complete and durable: a crash leaves at most
// a temp file behind, which the next reap pass removes (reap.go: temp files
// are owned, and an owner that is gone is seen at once).
//
// Names are validated once, by grammar, before any path is built; an invalid
// name is an error wrapping fs.ErrInvalid, never a path outside the root.
// The first segment ".tmp" is reserved for temp files.
package local
