// Package pulllog records who pulled what: every blob download (Git LFS or
// OCI) and every manifest fetch, with the repository, digest, protocol and
// the token that asked. It answers "which model version is live?".
//
// Record never blocks a download: events go into a bounded buffer that a
// background goroutine writes in batches, one transaction every 100 ms or
// so. When the buffer is full the event is dropped and counted (Dropped),
// and the drop is logged as a warning. Close writes what is buffered.
//
// What counts as a pull is the caller's decision, made the same way by the
// LFS and OCI servers: a successful GET of a whole blob or manifest, or of a
// byte range starting at offset 0. Ranges from a later offset continue a
// pull already recorded (a resumed or parallel download) and are not
// recorded, so counts are per download, not per request. HEAD requests are
// not pulls.
//
// Times are stored as Unix nanoseconds; listings are newest first and
// paginated with an opaque cursor.
package pulllog
