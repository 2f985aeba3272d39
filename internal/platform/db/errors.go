package db

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// pgDiskFull is PostgreSQL's SQLSTATE for a server out of disk.
const pgDiskFull = "53100"

// IsNoSpace reports whether err says that a write failed for want of
// space: the database is full (SQLite's SQLITE_FULL, in any of its extended
// forms, or PostgreSQL's disk_full), or the operating system answered
// ENOSPC or EDQUOT. Such a write
// succeeds again once space is freed.
func IsNoSpace(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgDiskFull {
		return true
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// pgForeignKeyViolation is PostgreSQL's SQLSTATE for a broken foreign key.
const pgForeignKeyViolation = "23503"

// IsForeignKeyViolation reports whether err is a statement refused because
// it would break a foreign key: in SQLite SQLITE_CONSTRAINT_FOREIGNKEY, in
// PostgreSQL foreign_key_violation.
func IsForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgForeignKeyViolation
}

// IsUnavailable reports whether err says the database could not be
// reached or is shutting down, starting or restarting, rather than that it
// refused the statement: a connection refused, reset or cut, PostgreSQL's
// connection exceptions (class 08) and operator interventions
// (admin_shutdown, crash_shutdown, cannot_connect_now). Such a request
// succeeds again once the database is back.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}
