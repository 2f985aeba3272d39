// Package server builds the ballast server and runs it: it opens the
// metadata database and the store, makes the authenticator, starts the
// background jobs (housekeeping, the compactor, the Git indexer and the
// publish queue), mounts the Git LFS API, the OCI registry and the JSON
// APIs on one router with its middleware (access log and metrics, clean
// paths, minimum body rate), and serves until it is told to stop.
//
// It is the one place where the parts are wired together; each part
// receives what it needs and reaches for no globals. cmd/ballast's serve
// command parses the settings and calls Run.
package server
