package gitindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// newCommits returns the commits reachable from tips that are not indexed
// yet, parents before children, and the indexed commits the walk stopped
// at. An indexed commit's ancestors are all indexed, so the walk never
// passes one: only new commits are read. Memory is a few words per new
// commit; no commit is held once its parents are known.
func (x *Indexer) newCommits(ctx context.Context, m mirror, repo string, tips []plumbing.Hash) (
	order []plumbing.Hash, stops map[plumbing.Hash]bool, err error) {
	stmt, err := x.db.PrepareContext(ctx, `SELECT 1 FROM git_commits WHERE repo = ? AND sha = ?`)
	if err != nil {
		return nil, nil, err
	}
	defer stmt.Close()
	const expanded, done = 1, 2
	state := make(map[plumbing.Hash]uint8)
	stops = make(map[plumbing.Hash]bool)
	stack := append([]plumbing.Hash(nil), tips...)
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		h := stack[len(stack)-1]
		switch {
		case state[h] == done || stops[h]:
			stack = stack[:len(stack)-1]
			continue
		case state[h] == expanded:
			stack = stack[:len(stack)-1]
			state[h] = done
			order = append(order, h)
			continue
		}
		indexed, err := isIndexed(ctx, stmt, repo, h)
		if err != nil {
			return nil, nil, err
		}
		if indexed {
			stops[h] = true
			stack = stack[:len(stack)-1]
			continue
		}
		c, err := m.CommitObject(h)
		if err != nil {
			return nil, nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		x.stats.walked.Add(1)
		state[h] = expanded
		for _, p := range c.ParentHashes {
			if state[p] == 0 && !stops[p] {
				stack = append(stack, p)
			}
		}
	}
	return order, stops, nil
}

func isIndexed(ctx context.Context, stmt *sql.Stmt, repo string, h plumbing.Hash) (bool, error) {
	var one int
	err := stmt.QueryRowContext(ctx, repo, h.String()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// reachable returns every commit reachable from tips. It reads commit
// objects only, keeping a set of hashes.
func reachable(ctx context.Context, m mirror, tips []plumbing.Hash) (map[plumbing.Hash]bool, error) {
	seen := make(map[plumbing.Hash]bool)
	stack := append([]plumbing.Hash(nil), tips...)
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := m.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		stack = append(stack, c.ParentHashes...)
	}
	return seen, nil
}
