// Package miniotest starts a real MinIO server, as a separate process on
// a loopback port with its data in a temporary directory, for the
// integration tests of the S3 backend and of ballast on S3. A test package
// starts one server in its TestMain (Main) and shares it between its
// tests, each of which works under its own bucket or prefix.
//
// The minio binary comes from PATH (make tools installs the pinned
// version into .tools/bin). When it is missing, Main fails the package
// with a message if BALLAST_E2E=1 (as make test and CI set it) and skips
// it with the same message otherwise, so a missing service never passes
// silently.
package miniotest
