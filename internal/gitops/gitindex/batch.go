package gitindex

import (
	"context"
	"database/sql"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// Batches end after this many commits or rows, whichever comes first, so
// that a sync never holds the database's write lock for long.
const (
	batchCommits = 200
	batchRows    = 10000
)

// writer writes indexed commits in transactions of bounded size. Parents
// are written before children, so after a crash the index still holds
// every ancestor of every indexed commit.
type writer struct {
	db                            *sql.DB
	tx                            *sql.Tx
	commit, file, change, problem *sql.Stmt
	commits, rows                 int
}

// begin returns the open transaction, starting one if there is none.
func (w *writer) begin(ctx context.Context) (*sql.Tx, error) {
	if w.tx != nil {
		return w.tx, nil
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.commit, `INSERT INTO git_commits (repo, sha, seq, tree, parents, author_name, author_email,
			author_time, author_tz, committer_name, committer_email, commit_time, commit_tz, message)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.file, `INSERT INTO git_files (repo, commit_sha, path, oid, size) VALUES (?, ?, ?, ?, ?)`},
		{&w.change, `INSERT INTO git_changes (repo, path, commit_sha, oid, size, removed) VALUES (?, ?, ?, ?, ?, ?)`},
		{&w.problem, `INSERT INTO git_problems (repo, commit_sha, path, kind, detail) VALUES (?, ?, ?, ?, ?)`},
	} {
		if *s.stmt, err = tx.PrepareContext(ctx, s.sql); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	w.tx, w.commits, w.rows = tx, 0, 0
	return tx, nil
}

// add writes one commit with its listing, changes and problems in the
// open transaction, and commits it once it is big enough.
func (w *writer) add(ctx context.Context, repo string, seq int64, c *object.Commit,
	files listing, changes []change, probs []Problem) error {
	sha := c.Hash.String()
	parents := make([]string, len(c.ParentHashes))
	for i, p := range c.ParentHashes {
		parents[i] = p.String()
	}
	_, atz := c.Author.When.Zone()
	_, ctz := c.Committer.When.Zone()
	if _, err := w.commit.ExecContext(ctx, repo, sha, seq, c.TreeHash.String(), strings.Join(parents, " "),
		text(c.Author.Name), text(c.Author.Email), c.Author.When.Unix(), atz,
		text(c.Committer.Name), text(c.Committer.Email), c.Committer.When.Unix(), ctz, text(c.Message)); err != nil {
		return err
	}
	for _, f := range files {
		if _, err := w.file.ExecContext(ctx, repo, sha, f.Path, f.OID, f.Size); err != nil {
			return err
		}
	}
	for _, ch := range changes {
		if _, err := w.change.ExecContext(ctx, repo, ch.file.Path, sha, ch.file.OID, ch.file.Size,
			boolInt(ch.removed)); err != nil {
			return err
		}
	}
	for _, p := range probs {
		if _, err := w.problem.ExecContext(ctx, repo, sha, p.Path, p.Kind, p.Detail); err != nil {
			return err
		}
	}
	w.commits++
	w.rows += 1 + len(files) + len(changes) + len(probs)
	if w.commits >= batchCommits || w.rows >= batchRows {
		return w.flush()
	}
	return nil
}

// flush commits the open transaction, if any.
func (w *writer) flush() error {
	if w.tx == nil {
		return nil
	}
	err := w.tx.Commit()
	w.tx = nil
	return err
}

// abort rolls back the open transaction, if any.
func (w *writer) abort() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
}

// text makes Git metadata, which may hold any bytes, storable in every
// supported database: valid UTF-8 without NUL.
func text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// loadListing returns the listing of tree from any indexed commit of repo
// that has it.
func loadListing(ctx context.Context, q queryer, repo, tree string) (listing, bool, error) {
	var sha string
	err := q.QueryRowContext(ctx, `SELECT sha FROM git_commits WHERE repo = ? AND tree = ? LIMIT 1`,
		repo, tree).Scan(&sha)
	if err == sql.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rows, err := q.QueryContext(ctx, `SELECT path, oid, size FROM git_files WHERE repo = ? AND commit_sha = ?`,
		repo, sha)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	files := make(listing)
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.Path, &f.OID, &f.Size); err != nil {
			return nil, false, err
		}
		files[f.Path] = f
	}
	return files, true, rows.Err()
}
