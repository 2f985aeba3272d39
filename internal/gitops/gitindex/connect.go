package gitindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ballastml/ballast/internal/platform/name"
)

// Connect connects repo to the Git repository src describes, or updates
// the connection. It checks the form of the source but does not fetch;
// the next Sync does. Connecting a different URL drops the index and the
// mirror of the old one.
func (x *Indexer) Connect(ctx context.Context, repo string, src Source) error {
	src, err := checkSource(repo, src)
	if err != nil {
		return err
	}
	defer x.lock(repo)()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var oldURL string
	err = tx.QueryRowContext(ctx, `SELECT url FROM git_sources WHERE repo = ?`, repo).Scan(&oldURL)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx,
			`INSERT INTO git_sources (repo, url, username, password, tag_pattern, path_filter, image_root, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			repo, src.URL, src.Username, src.Password, src.TagPattern, src.PathFilter, src.ImageRoot, time.Now().Unix())
	case err == nil:
		_, err = tx.ExecContext(ctx,
			`UPDATE git_sources SET url = ?, username = ?, password = ?, tag_pattern = ?, path_filter = ?, image_root = ?
			 WHERE repo = ?`,
			src.URL, src.Username, src.Password, src.TagPattern, src.PathFilter, src.ImageRoot, repo)
	}
	if err != nil {
		return fmt.Errorf("store git source: %w", err)
	}
	newURL := oldURL != "" && oldURL != src.URL
	if newURL {
		if err := deleteIndex(ctx, tx, repo); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if newURL {
		return os.RemoveAll(x.mirrorPath(repo))
	}
	return nil
}

// Disconnect removes repo's Git source, its index and its mirror.
func (x *Indexer) Disconnect(ctx context.Context, repo string) error {
	if err := name.ValidateRepo(repo); err != nil {
		return fmt.Errorf("%w: %w", ErrNotConnected, err)
	}
	defer x.lock(repo)()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM git_sources WHERE repo = ?`, repo)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrNotConnected, repo)
	}
	if err := deleteIndex(ctx, tx, repo); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return os.RemoveAll(x.mirrorPath(repo))
}

// deleteIndex removes everything indexed for repo.
func deleteIndex(ctx context.Context, q queryer, repo string) error {
	for _, table := range []string{"git_commits", "git_refs", "git_files", "git_changes", "git_problems"} {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE repo = ?`, repo); err != nil {
			return fmt.Errorf("clear %s: %w", table, err)
		}
	}
	return nil
}

// Source returns repo's Git source, credentials included.
func (x *Indexer) Source(ctx context.Context, repo string) (Source, error) {
	var s Source
	err := x.db.QueryRowContext(ctx,
		`SELECT url, username, password, tag_pattern, path_filter, image_root FROM git_sources WHERE repo = ?`, repo).
		Scan(&s.URL, &s.Username, &s.Password, &s.TagPattern, &s.PathFilter, &s.ImageRoot)
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, fmt.Errorf("%w: %s", ErrNotConnected, repo)
	}
	return s, err
}

// Status returns when repo was last synced and how that ended.
func (x *Indexer) Status(ctx context.Context, repo string) (Status, error) {
	var (
		last sql.NullInt64
		st   Status
	)
	err := x.db.QueryRowContext(ctx,
		`SELECT last_sync, last_error FROM git_sources WHERE repo = ?`, repo).Scan(&last, &st.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return Status{}, fmt.Errorf("%w: %s", ErrNotConnected, repo)
	}
	if last.Valid {
		st.LastSync = time.Unix(last.Int64, 0).UTC()
	}
	return st, err
}

// Connected lists the repositories that have a Git source, sorted.
func (x *Indexer) Connected(ctx context.Context) ([]string, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT repo FROM git_sources ORDER BY repo`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var repos []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		repos = append(repos, r)
	}
	return repos, rows.Err()
}

// recordSync stores the outcome of a sync attempt.
func (x *Indexer) recordSync(ctx context.Context, repo string, syncErr error) {
	msg := ""
	if syncErr != nil {
		msg = syncErr.Error()
	}
	_, err := x.db.ExecContext(ctx, `UPDATE git_sources SET last_sync = ?, last_error = ? WHERE repo = ?`,
		time.Now().Unix(), msg, repo)
	if err != nil {
		x.log.Error("git sync: record outcome", "repo", repo, "err", err)
	}
}
