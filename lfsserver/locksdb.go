package lfsserver

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

// lockStore keeps locks in the metadata database (migration 0003_locks).
type lockStore struct {
	db *db.DB
}

// lockRecord is one row of the locks table.
type lockRecord struct {
	ID, Path, Ref, Owner string
	LockedAt             time.Time
}

// lockQuery selects the locks of a repository, ordered by path. Path and
// ID filter exactly; After resumes a listing at that path.
type lockQuery struct {
	Path, ID, After string
	Limit           int
}

const lockColumns = `id, path, ref, owner, locked_at`

// create locks path in repo for owner. If the path is already locked it
// returns the existing lock and a *conflictError.
func (ls *lockStore) create(ctx context.Context, repo, path, ref, owner string) (lockRecord, error) {
	tx, err := ls.db.BeginTx(ctx, nil)
	if err != nil {
		return lockRecord{}, err
	}
	defer tx.Rollback()
	rec := lockRecord{ID: newLockID(), Path: path, Ref: ref, Owner: owner, LockedAt: time.Now().UTC().Truncate(time.Second)}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO locks (id, repo, path, ref, owner, locked_at) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (repo, path) DO NOTHING`,
		rec.ID, repo, rec.Path, rec.Ref, rec.Owner, rec.LockedAt.Unix())
	if err != nil {
		return lockRecord{}, fmt.Errorf("create lock: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return lockRecord{}, err
	}
	if n == 0 {
		held, err := getLock(ctx, tx, `repo = ? AND path = ?`, repo, path)
		if err != nil {
			return lockRecord{}, err
		}
		return held, &conflictError{lock: held.json()}
	}
	return rec, tx.Commit()
}

// remove deletes lock id of repo once allow, shown the lock, returns nil.
// Ids of other repositories are not found.
func (ls *lockStore) remove(ctx context.Context, repo, id string, allow func(lockRecord) error) (lockRecord, error) {
	tx, err := ls.db.BeginTx(ctx, nil)
	if err != nil {
		return lockRecord{}, err
	}
	defer tx.Rollback()
	rec, err := getLock(ctx, tx, `repo = ? AND id = ?`, repo, id)
	if err != nil {
		return rec, err
	}
	if err := allow(rec); err != nil {
		return rec, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM locks WHERE repo = ? AND id = ?`, repo, id); err != nil {
		return rec, fmt.Errorf("delete lock: %w", err)
	}
	return rec, tx.Commit()
}

// list returns up to q.Limit locks of repo from q.After on, and the path
// where the next page starts ("" when there is none).
func (ls *lockStore) list(ctx context.Context, repo string, q lockQuery) ([]lockRecord, string, error) {
	where, args := []string{`repo = ?`, `path >= ?`}, []any{repo, q.After}
	if q.Path != "" {
		where, args = append(where, `path = ?`), append(args, q.Path)
	}
	if q.ID != "" {
		where, args = append(where, `id = ?`), append(args, q.ID)
	}
	rows, err := ls.db.QueryContext(ctx, `SELECT `+lockColumns+` FROM locks WHERE `+
		strings.Join(where, ` AND `)+` ORDER BY path LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list locks: %w", err)
	}
	defer rows.Close()
	var out []lockRecord
	for rows.Next() {
		rec, err := scanLock(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list locks: %w", err)
	}
	if len(out) > q.Limit {
		return out[:q.Limit], out[q.Limit].Path, nil
	}
	return out, "", nil
}

// getLock returns the lock matching cond, or an errNotFound error.
func getLock(ctx context.Context, tx *sql.Tx, cond string, args ...any) (lockRecord, error) {
	rec, err := scanLock(tx.QueryRowContext(ctx, `SELECT `+lockColumns+` FROM locks WHERE `+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("%w: no such lock in this repository", errNotFound)
	}
	return rec, err
}

func scanLock(row interface{ Scan(...any) error }) (lockRecord, error) {
	var rec lockRecord
	var at int64
	if err := row.Scan(&rec.ID, &rec.Path, &rec.Ref, &rec.Owner, &at); err != nil {
		return rec, err
	}
	rec.LockedAt = time.Unix(at, 0).UTC()
	return rec, nil
}

// newLockID returns a random lock id (26 base32 characters, 130 bits).
func newLockID() string { return strings.ToLower(rand.Text()) }

// DeleteLocks removes every lock of repo, for the deletion of the
// repository.
func DeleteLocks(ctx context.Context, d *db.DB, repo string) error {
	if _, err := d.ExecContext(ctx, `DELETE FROM locks WHERE repo = ?`, repo); err != nil {
		return fmt.Errorf("lfs: delete the locks of %s: %w", repo, err)
	}
	return nil
}
