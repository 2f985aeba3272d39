package gitindex

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/go-git/go-git/v5/plumbing"
)

// maxResultProblems bounds SyncResult.Problems; Problems lists them all.
const maxResultProblems = 1000

// Sync fetches repo's Git remote into its mirror and indexes what is new:
// commits no earlier sync indexed, and the branches and tags as they are
// now. Commits that are no longer reachable from any ref are dropped from
// the index. The outcome is recorded (Status) unless ctx was cancelled.
func (x *Indexer) Sync(ctx context.Context, repo string) (res SyncResult, err error) {
	if _, err := x.Source(ctx, repo); err != nil {
		return SyncResult{}, err // before taking a lock for a name never connected
	}
	defer x.lock(repo)()
	src, err := x.Source(ctx, repo) // again: Connect may have changed it meanwhile
	if err != nil {
		return SyncResult{}, err
	}
	defer func() {
		if p := recover(); p != nil {
			x.log.Error("git sync: panic", "repo", repo, "panic", p, "stack", string(debug.Stack()))
			res, err = SyncResult{}, fmt.Errorf("git sync of %s failed: internal error: %v", repo, p)
		}
		if ctx.Err() == nil {
			x.recordSync(ctx, repo, err)
		}
	}()
	return x.sync(ctx, repo, src)
}

func (x *Indexer) sync(ctx context.Context, repo string, src Source) (SyncResult, error) {
	m, err := x.openMirror(repo)
	if err != nil {
		return SyncResult{}, err
	}
	defer m.Close()
	if err := fetch(ctx, m, src); err != nil {
		return SyncResult{}, err
	}
	cur, err := x.mirrorRefs(m, repo)
	if err != nil {
		return SyncResult{}, err
	}
	old, err := storedRefs(ctx, x.db, repo)
	if err != nil {
		return SyncResult{}, err
	}
	tips := tipHashes(cur)
	order, stops, err := x.newCommits(ctx, m, repo, tips)
	if err != nil {
		return SyncResult{}, err
	}
	probs, err := x.index(ctx, m, repo, order)
	if err != nil {
		return SyncResult{}, err
	}
	changed := diffRefs(old, cur)
	if err := x.finish(ctx, m, repo, tips, changed, needsPrune(changed, stops)); err != nil {
		return SyncResult{}, err
	}
	return SyncResult{NewCommits: len(order), Changed: changed, Problems: probs}, nil
}

func tipHashes(refs map[refKey]string) []plumbing.Hash {
	seen := make(map[string]bool)
	var tips []plumbing.Hash
	for _, sha := range refs {
		if !seen[sha] {
			seen[sha] = true
			tips = append(tips, plumbing.NewHash(sha))
		}
	}
	return tips
}

// index indexes the commits in order (parents first) in batched
// transactions, and returns the first problems found.
func (x *Indexer) index(ctx context.Context, m mirror, repo string, order []plumbing.Hash) ([]Problem, error) {
	if len(order) == 0 {
		return nil, nil
	}
	var seq int64
	if err := x.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM git_commits WHERE repo = ?`,
		repo).Scan(&seq); err != nil {
		return nil, err
	}
	l := newLister(m, repo, &x.stats)
	w := &writer{db: x.db.DB}
	defer w.abort()
	var found []Problem
	for _, h := range order {
		var err error
		if l.q, err = w.begin(ctx); err != nil {
			return nil, err
		}
		c, err := m.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		files, probs, err := l.list(ctx, c)
		if err != nil {
			return nil, err
		}
		changes, err := l.changes(ctx, c, files)
		if err != nil {
			return nil, err
		}
		seq++
		if err := w.add(ctx, repo, seq, c, files, changes, probs); err != nil {
			return nil, fmt.Errorf("index commit %s: %w", h, err)
		}
		found = append(found, probs[:min(len(probs), maxResultProblems-len(found))]...)
	}
	return found, w.flush()
}
