package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
)

// job is a unit of background work: publish (or unpublish) a Git tag as
// the index has it when the job runs, or publish a commit. A tag job
// publishes only tags matching the repository's tag pattern, unless
// forced (PublishRef).
type job struct {
	repo, kind, name string
	force            bool
}

const (
	kindTag    = "tag"    // name is the Git tag
	kindCommit = "commit" // name is the commit SHA
)

// OnSync queues the publications a sync of repo calls for: each created or
// moved tag matching the repository's tag pattern is published, each such
// deleted tag unpublished, and each created or moved branch tip gets its
// commit artifact. It returns at once, and Run does the work, so it can be
// handed to gitindex.Indexer.Run as its onSync callback.
func (p *Publisher) OnSync(repo string, res gitindex.SyncResult) {
	for _, ch := range res.Changed {
		switch {
		case ch.Kind == gitindex.KindTag:
			p.enqueue(job{repo: repo, kind: kindTag, name: ch.Name})
		case ch.Kind == gitindex.KindBranch:
			if ch.Old != "" {
				// A branch tip that moved on is no longer waited for.
				p.done(job{repo: repo, kind: kindCommit, name: ch.Old})
			}
			if ch.New != "" {
				p.enqueue(job{repo: repo, kind: kindCommit, name: ch.New})
			}
		}
	}
}

// Reconcile queues the publication of every tag (matching its pattern)
// and branch tip of every connected repository. Publications already done
// are skipped cheaply, so it is meant for start-up: it finds the pending
// publications a restart forgot and finishes work a crash interrupted.
func (p *Publisher) Reconcile(ctx context.Context) error {
	repos, err := p.Index.Connected(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, repo := range repos {
		if err := p.reconcile(ctx, repo); err != nil {
			errs = append(errs, fmt.Errorf("reconcile %s: %w", repo, err))
		}
	}
	return errors.Join(errs...)
}

func (p *Publisher) reconcile(ctx context.Context, repo string) error {
	src, err := p.Index.Source(ctx, repo)
	if err != nil {
		return err
	}
	refs, err := p.Index.Refs(ctx, repo)
	if err != nil {
		return err
	}
	for _, r := range refs {
		switch {
		case r.Kind == gitindex.KindTag && src.MatchTag(r.Name):
			p.enqueue(job{repo: repo, kind: kindTag, name: r.Name})
		case r.Kind == gitindex.KindBranch:
			p.enqueue(job{repo: repo, kind: kindCommit, name: r.Commit})
		}
	}
	return nil
}

// enqueue adds j to the queue unless it is already waiting there.
func (p *Publisher) enqueue(j job) {
	p.mu.Lock()
	p.init()
	if !p.queued[j] {
		p.queued[j] = true
		p.queue = append(p.queue, j)
	}
	wake := p.wake
	p.mu.Unlock()
	select {
	case wake <- struct{}{}:
	default:
	}
}

// next pops the oldest job. A job that is running is no longer queued, so
// an event during its run queues it again and nothing is lost.
func (p *Publisher) next() (job, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return job{}, false
	}
	j := p.queue[0]
	p.queue = p.queue[1:]
	delete(p.queued, j)
	return j, true
}

// Run carries out queued publications, one at a time, until ctx is done.
func (p *Publisher) Run(ctx context.Context) {
	p.mu.Lock()
	p.init()
	wake := p.wake
	p.mu.Unlock()
	for {
		j, ok := p.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			continue
		}
		if err := p.run(ctx, j); err != nil && !isPending(err) && ctx.Err() == nil {
			p.log().Error("publication failed", "repo", j.repo, j.kind, j.name, "err", err)
		}
	}
}

// run carries out one job.
func (p *Publisher) run(ctx context.Context, j job) error {
	unlock := p.lock(j.repo)
	defer unlock()
	if j.kind == kindCommit {
		_, err := p.publishCommit(ctx, j.repo, j.name)
		return err
	}
	src, err := p.Index.Source(ctx, j.repo)
	if err != nil {
		return err
	}
	if !j.force && !src.MatchTag(j.name) {
		return nil
	}
	sha, found, err := p.findTag(ctx, j.repo, j.name)
	if err != nil {
		return err
	}
	if !found {
		return p.unpublishTag(ctx, j.repo, j.name)
	}
	_, err = p.publishTag(ctx, j.repo, j.name, sha, j.force)
	return err
}
