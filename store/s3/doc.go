// Package s3 is a store.Backend on any S3-compatible object store, through
// minio-go. Objects live under a prefix of one bucket, named as the store
// names them.
//
// A Put streams: an object that fits in the first buffer (8 MiB) is one
// PUT; a larger one is a multipart upload of 16 MiB parts, two sent while
// the next is read, so a Put holds at most 56 MiB whatever the object's
// size (objects up to 156 GiB). S3 makes an object visible only when its upload
// completes, so a failed or cancelled Put leaves no object; minio-go aborts
// its multipart upload, and Reap aborts those a crash left behind.
//
// Reads are ranged GETs. minio-go retries throttling, 5xx answers and
// connection resets with exponential backoff and jitter; every request
// has connect, TLS and response-header timeouts, and errors wrap
// store.ErrObjectNotExist and store.ErrInvalidRange where they mean that.
//
// Check, run at start-up, turns a missing bucket, refused credentials, a
// skewed clock or a wrong region into a message that says what to fix.
package s3
