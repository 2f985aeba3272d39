// Command bench measures ballast end to end and prints a report; `make
// bench` runs it. It only reports figures, it never fails on a timing.
//
// Usage:
//
//	go run ./internal/bench all|SECTION...
//
// The sections, which `all` runs in this order:
//
//	baseline   openssl dgst -sha256 on a 1 GiB random file: the limit every
//	           other throughput is compared with
//	lfs        git lfs push, git lfs fetch and a raw HTTP GET of that file
//	           against ballast serve (a fresh server and data directory
//	           for each push), and the same against a null server, the
//	           ceiling: push and fetch three times each, every run
//	           printed, the targets judged on the median
//	rss        the server's peak resident memory while it receives a 4 GiB
//	           upload
//	dedup      stored bytes for two versions of a real model, ten copies of
//	           one file, and two versions of a synthetic bf16 .safetensors
//	chunksize  the store package alone at several average chunk sizes:
//	           ingest and read throughput, chunks per GiB, stored bytes
//
// Every throughput is printed next to the openssl baseline measured in the
// same run. The null server (benchkit.NullServer, run inside this program)
// does the least any Git LFS server could: it counts an upload's bytes
// without hashing or storing them and sends a download from the file on
// disk with sendfile. What git-lfs reaches against it is the client's own
// limit, the ceiling for any server; the lfs section prints ballast's
// figures as a fraction of it. The server is built from ./cmd/ballast into a temporary
// directory, listens on 127.0.0.1 only and is driven with the git and
// git-lfs found on PATH (the Makefile puts its pinned git-lfs first), under
// an isolated HOME and git configuration. All data lives in one temporary
// directory, removed at the end, on error and on interrupt; child processes
// are stopped the same way.
//
// The rss section reads /proc, so it needs Linux.
package main
