package db

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres connects to the PostgreSQL database at dsn (a postgres://
// URL or a libpq key=value string) and migrates it to the newest schema.
//
// The migrations are the SQLite ones, with two words translated
// (postgresDDL): one schema, two dialects. Queries keep their "?"
// placeholders (rebind.go).
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sqldb := sqlOpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	sqldb.SetMaxOpenConns(32)
	sqldb.SetMaxIdleConns(32)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("postgres at %s: %w", redactDSN(cfg), err)
	}
	d := &DB{DB: sqldb, Dialect: Postgres}
	if err := d.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return d, nil
}

func redactDSN(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s (user %s)", cfg.Host, cfg.Port, cfg.Database, cfg.User)
}

// migrationLock is the advisory lock key that serialises migrations.
const migrationLock = 0x62616c6c617374 // "ballast"

var (
	ddlBlob    = regexp.MustCompile(`\bBLOB\b`)
	ddlInteger = regexp.MustCompile(`\bINTEGER\b`)
)

// postgresDDL translates a migration written for SQLite: BLOB is BYTEA,
// and INTEGER, which SQLite stores in up to 8 bytes, is BIGINT (a
// PostgreSQL INTEGER has 4, too few for sizes and offsets). Everything else
// the migrations use is common SQL.
func postgresDDL(sqlite string) string {
	return ddlInteger.ReplaceAllString(ddlBlob.ReplaceAllString(sqlite, "BYTEA"), "BIGINT")
}
