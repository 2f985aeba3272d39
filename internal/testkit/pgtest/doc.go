// Package pgtest starts a real PostgreSQL server for integration tests:
// initdb into a temporary directory and pg_ctl on a private port. The
// command withpg runs a command (go test) with one server for the whole
// run; internal/testkit/dbtest gives each test its own database on it.
//
// initdb, pg_ctl and postgres come from PATH (the Debian postgresql
// packages). initdb refuses to run as root, so as root the server runs as
// the postgres user.
package pgtest
