package db

import (
	"errors"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsNoSpace reports whether err says that a write failed for want of
// space: the database is full (SQLite's SQLITE_FULL, in any of its extended
// forms), or the operating system answered ENOSPC or EDQUOT. Such a write
// succeeds again once space is freed.
func IsNoSpace(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
