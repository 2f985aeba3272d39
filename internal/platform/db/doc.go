// Package db opens ballast's metadata database and keeps its schema current.
//
// The database holds everything that is not blob bytes: blob recipes, chunk
// and pack locations, repository links, tokens and locks. It is reached through
// database/sql with portable SQL; the default driver is the embedded, cgo-free
// SQLite (modernc.org/sqlite). Schema changes are numbered SQL files under
// migrations/, applied in order, each exactly once, inside a transaction.
package db
