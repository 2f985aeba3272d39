// Package metrics exposes the server's Prometheus metrics: requests by
// protocol, method and status class with their durations and response
// bytes, the store's counters (bytes stored after dedup and compression,
// bytes read, corrupt chunks, garbage collection), and Go's runtime and
// process metrics. The server serves them on --metrics-addr, a listener
// of their own.
package metrics
