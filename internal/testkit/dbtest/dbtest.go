// Package dbtest opens a fresh metadata database for a test, in the
// dialect the run asks for, so that every metadata suite runs against
// SQLite and against a real PostgreSQL.
//
// By default it is SQLite in the test's temporary directory. When
// BALLAST_TEST_POSTGRES holds the URL of a PostgreSQL server (make test
// starts one with go run ./internal/testkit/pgtest/withpg), each test gets
// a new database on it, dropped when the test ends.
package dbtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/testkit/pgtest"
)

// EnvPostgres names the variable holding the PostgreSQL server's URL.
const EnvPostgres = "BALLAST_TEST_POSTGRES"

// Open returns an empty, migrated database that t closes when it ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	ctx := context.Background()
	var (
		d   *db.DB
		err error
	)
	if server := os.Getenv(EnvPostgres); server != "" {
		d, err = db.OpenPostgres(ctx, NewPostgres(t, server))
	} else {
		d, err = db.OpenSQLite(ctx, filepath.Join(t.TempDir(), "meta.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// NewPostgres creates a database on the server at serverURL and returns
// its URL; the database is dropped when t ends.
func NewPostgres(t testing.TB, serverURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbURL, err := pgtest.CreateDatabase(ctx, serverURL)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() { pgtest.DropDatabase(context.Background(), dbURL) })
	return dbURL
}
