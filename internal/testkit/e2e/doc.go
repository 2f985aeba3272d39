// Package e2e holds the end-to-end tests: they prove ballast with the tools
// its users run rather than with mocks.
//
// The tests build ./cmd/ballast once, start it on a free loopback port with a
// fresh data directory and an admin token, and drive the real git-lfs client
// (and the git-lfs project's server API compliance checker) against it, with
// git running under an isolated HOME and configuration. Some tests talk HTTP
// to the server directly to send input no well-behaved client would.
//
// The OCI tests drive oras, crane and skopeo, and run the OCI distribution
// conformance suite (oci-conformance) with every optional feature on, in the
// default and the sparse-manifest modes, requiring 0 failures and 0 skips.
//
// The tests need git, git-lfs 3.8.1, git-lfs-test-server-api, oras, crane,
// skopeo and oci-conformance on PATH;
// `make test` installs them into .tools/bin and puts that first on PATH. When
// BALLAST_E2E is unset and the tools are missing the tests skip; with
// BALLAST_E2E=1 a missing tool fails them, so CI can never skip silently.
package e2e
