// Package lfspointer parses Git LFS pointer files by the git-lfs
// specification. The server's Git indexer and the publish client both read
// pointers with it.
//
// Why not github.com/git-lfs/git-lfs/v3/lfs (DecodePointer): importing
// that package brings 22 third-party modules into the binary, among them a
// Kerberos stack (jcmturner/gokrb5, dpotapov/go-spnego), gettext and git-lfs's
// own HTTP, netrc and tracing packages, for what is here a 90-line parser.
// This parser implements the specification's rules (docs/spec.md of
// git-lfs), is fuzzed (FuzzParse), and the end-to-end tests read pointers
// that the real git-lfs client (3.8.1) wrote.
package lfspointer
