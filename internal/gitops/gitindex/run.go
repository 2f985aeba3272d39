package gitindex

import (
	"context"
	"time"
)

// Run syncs every connected repository now and then every interval until
// ctx is done. Failures are logged and recorded (Status); onSync, if not
// nil, is called after each successful sync.
func (x *Indexer) Run(ctx context.Context, every time.Duration, onSync func(repo string, res SyncResult)) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		x.syncAll(ctx, onSync)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (x *Indexer) syncAll(ctx context.Context, onSync func(string, SyncResult)) {
	repos, err := x.Connected(ctx)
	if err != nil {
		if ctx.Err() == nil {
			x.log.Error("git sync: list repositories", "err", err)
		}
		return
	}
	for _, repo := range repos {
		if ctx.Err() != nil {
			return
		}
		res, err := x.Sync(ctx, repo)
		if err != nil {
			if ctx.Err() == nil {
				x.log.Warn("git sync failed", "repo", repo, "err", err)
			}
			continue
		}
		if len(res.Changed) > 0 || res.NewCommits > 0 {
			x.log.Info("git sync", "repo", repo, "commits", res.NewCommits, "refs", len(res.Changed),
				"problems", len(res.Problems))
		}
		if onSync != nil {
			onSync(repo, res)
		}
	}
}
