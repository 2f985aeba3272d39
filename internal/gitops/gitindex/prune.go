package gitindex

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"
)

// needsPrune reports whether a moved or deleted ref may have left commits
// unreachable: its old commit was not met by the walk from the new tips.
func needsPrune(changed []RefChange, stops map[plumbing.Hash]bool) bool {
	for _, c := range changed {
		if c.Old != "" && !stops[plumbing.NewHash(c.Old)] {
			return true
		}
	}
	return false
}

// finish stores the new refs and, if asked, drops the commits no ref
// reaches any more, in one transaction.
func (x *Indexer) finish(ctx context.Context, m mirror, repo string, tips []plumbing.Hash,
	changed []RefChange, prune bool) error {
	var live map[plumbing.Hash]bool
	if prune {
		var err error
		if live, err = reachable(ctx, m, tips); err != nil {
			return err
		}
	}
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if prune {
		n, err := pruneCommits(ctx, tx, repo, live)
		if err != nil {
			return err
		}
		if n > 0 {
			x.log.Info("git sync: dropped unreachable commits", "repo", repo, "commits", n)
		}
	}
	if err := writeRefs(ctx, tx, repo, changed); err != nil {
		return err
	}
	return tx.Commit()
}

// pruneCommits deletes the indexed commits of repo not in live.
func pruneCommits(ctx context.Context, q queryer, repo string, live map[plumbing.Hash]bool) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT sha FROM git_commits WHERE repo = ?`, repo)
	if err != nil {
		return 0, err
	}
	var gone []string
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			rows.Close()
			return 0, err
		}
		if !live[plumbing.NewHash(sha)] {
			gone = append(gone, sha)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, sha := range gone {
		for _, q2 := range []string{
			`DELETE FROM git_files WHERE repo = ? AND commit_sha = ?`,
			`DELETE FROM git_changes WHERE repo = ? AND commit_sha = ?`,
			`DELETE FROM git_problems WHERE repo = ? AND commit_sha = ?`,
			`DELETE FROM git_commits WHERE repo = ? AND sha = ?`,
		} {
			if _, err := q.ExecContext(ctx, q2, repo, sha); err != nil {
				return 0, err
			}
		}
	}
	return len(gone), nil
}
