package db_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ballastml/ballast/internal/platform/db"
)

// FillUp makes d refuse to grow past its current size, as a full disk
// would: every later write that needs a new page fails with SQLITE_FULL.
// It leaves d with one connection, so the limit holds for every query.
func fillUp(t *testing.T, d *db.DB) {
	t.Helper()
	d.SetMaxOpenConns(1)
	var pages int
	if err := d.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
}

func TestIsNoSpace(t *testing.T) {
	d, err := db.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(`CREATE TABLE big (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	fillUp(t, d)
	_, err = d.Exec(`INSERT INTO big (b) VALUES (zeroblob(1000000))`)
	if err == nil || !db.IsNoSpace(fmt.Errorf("wrapped: %w", err)) {
		t.Fatalf("insert into a full database: %v; want an error IsNoSpace recognises", err)
	}
	for _, e := range []error{syscall.ENOSPC, &fs.PathError{Op: "write", Path: "/x", Err: syscall.EDQUOT},
		fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file"})} {
		if !db.IsNoSpace(e) {
			t.Errorf("IsNoSpace(%v) = false", e)
		}
	}
	for _, e := range []error{nil, errors.New("disk full"), syscall.EIO, &pgconn.PgError{Code: "40001"}} {
		if db.IsNoSpace(e) {
			t.Errorf("IsNoSpace(%v) = true", e)
		}
	}
}

func TestIsForeignKeyViolation(t *testing.T) {
	d, err := db.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Exec(`INSERT INTO links (repo, digest, created_at) VALUES ('ml/x', 'sha256:00', 0)`)
	if err == nil || !db.IsForeignKeyViolation(fmt.Errorf("wrapped: %w", err)) {
		t.Fatalf("a link to no blob: %v; want an error IsForeignKeyViolation recognises", err)
	}
	if !db.IsForeignKeyViolation(&pgconn.PgError{Code: "23503"}) {
		t.Error("PostgreSQL's foreign_key_violation is not recognised")
	}
	for _, e := range []error{nil, errors.New("constraint"), &pgconn.PgError{Code: "23505"}} {
		if db.IsForeignKeyViolation(e) {
			t.Errorf("IsForeignKeyViolation(%v) = true", e)
		}
	}
}

func TestIsUnavailable(t *testing.T) {
	for _, e := range []error{
		&pgconn.PgError{Code: "57P01"}, &pgconn.PgError{Code: "08006"}, &pgconn.PgError{Code: "57P03"},
		fmt.Errorf("query: %w", syscall.ECONNREFUSED), driver.ErrBadConn, io.ErrUnexpectedEOF,
	} {
		if !db.IsUnavailable(e) {
			t.Errorf("IsUnavailable(%v) = false", e)
		}
	}
	for _, e := range []error{nil, errors.New("syntax"), &pgconn.PgError{Code: "23503"}, &pgconn.PgError{Code: "40001"}} {
		if db.IsUnavailable(e) {
			t.Errorf("IsUnavailable(%v) = true", e)
		}
	}
}
