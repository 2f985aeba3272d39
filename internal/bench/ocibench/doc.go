// Command ocibench measures `oras push` and `oras pull` of a large random
// file against ballast and, in the same run on the same machine, against
// the distribution registry (the CNCF reference registry), and prints MiB/s
// for each and the ballast/distribution ratios next to the target: both at
// least 1.5.
//
// It measures a third server too, the ceiling: a null server
// (benchkit.NullServer, inside this program) that counts uploaded bytes
// without hashing or storing them and sends the pushed file back from disk
// with sendfile, the least any registry could do. What oras reaches against
// it is the client's own limit. The report gives ballast as a fraction of
// it, and the null server over distribution: the highest ratio any server
// could reach.
//
// Usage:
//
//	go run ./internal/ocibench [-size BYTES] [-runs N]
//
// It builds ./cmd/ballast into a temporary directory and starts it with an
// admin token, from which it creates a token for the bench/* repositories
// that oras uses; it starts `registry serve` with filesystem storage and no
// auth. Both listen on 127.0.0.1 only. oras and registry are taken from
// PATH: `make tools` installs the pinned versions into .tools/bin, which
// `make bench` puts first on PATH.
//
// Each run makes a new random file (so no server has seen its bytes),
// then pushes it to a fresh repository of each server and pulls it back
// into an empty directory, each run starting with the next server so none
// always goes first. The best run of each figure is reported along with
// every run. It reports figures only and never fails on a timing. Everything it writes
// lives in one temporary directory, removed at the end, on error and on
// interrupt; the servers are stopped the same way.
package main
