package publish

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/store"
)

// PendingTag is a publication waiting for LFS objects.
type PendingTag struct {
	// Tag is the Git tag; "" when the pending publication is a commit's
	// own artifact (git-<sha12>, for a branch tip).
	Tag     string    `json:"tag,omitempty"`
	Commit  string    `json:"commit"`
	Missing []string  `json:"missing"` // oids, sorted
	Since   time.Time `json:"since"`
}

// waiting is a pending publication and the oids it still waits for.
type waiting struct {
	tag, commit string
	missing     map[string]bool
	since       time.Time
	force       bool // the job to run when nothing is missing is forced
}

// pendingKey is the key of a job in Publisher.pending: a tag is pending
// once, whether its publication was forced or not.
func pendingKey(j job) job {
	j.force = false
	return j
}

// Pending lists the publications of repo that wait for LFS objects, by
// tag then commit. They are kept in memory: after a restart, Reconcile
// finds them again.
func (p *Publisher) Pending(ctx context.Context, repo string) ([]PendingTag, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []PendingTag
	for _, w := range p.pending[repo] {
		out = append(out, PendingTag{Tag: w.tag, Commit: w.commit, Missing: slices.Sorted(maps.Keys(w.missing)), Since: w.since})
	}
	slices.SortFunc(out, func(a, b PendingTag) int {
		return cmpOr(strings.Compare(a.Tag, b.Tag), strings.Compare(a.Commit, b.Commit))
	})
	return out, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// missing returns the oids of files that are not linked to repo.
func (p *Publisher) missing(ctx context.Context, repo string, files []modelpack.File) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		if seen[f.OID] {
			continue
		}
		seen[f.OID] = true
		_, err := p.Store.Stat(ctx, repo, f.Digest())
		if errors.Is(err, store.ErrNotFound) {
			out = append(out, f.OID)
		} else if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}

// wait records the publication j as pending on res.Missing, then checks
// the objects again: one linked between the first check and the record
// would otherwise never be noticed.
func (p *Publisher) wait(ctx context.Context, j job, res Result) {
	key := pendingKey(j)
	p.mu.Lock()
	p.init()
	w := &waiting{tag: res.GitTag, commit: res.Commit, missing: map[string]bool{}, since: time.Now(), force: j.force}
	if old := p.pending[j.repo][key]; old != nil {
		w.force = w.force || old.force
		if old.commit == res.Commit {
			w.since = old.since
		}
	}
	for _, oid := range res.Missing {
		w.missing[oid] = true
	}
	if p.pending[j.repo] == nil {
		p.pending[j.repo] = make(map[job]*waiting)
	}
	p.pending[j.repo][key] = w
	p.mu.Unlock()
	p.log().Warn("publication pending: LFS objects are missing", "repo", j.repo, "git_tag", res.GitTag,
		"commit", res.Commit, "missing", len(res.Missing), "first_missing", res.Missing[0])
	for _, oid := range res.Missing {
		d := digest.NewDigestFromEncoded(digest.SHA256, oid)
		if _, err := p.Store.Stat(ctx, j.repo, d); err == nil {
			p.ObjectLinked(j.repo, d)
		}
	}
}

// done forgets a pending publication that happened or is moot.
func (p *Publisher) done(j job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending[j.repo] != nil {
		delete(p.pending[j.repo], pendingKey(j))
	}
}

// ObjectLinked tells the publisher that blob d was linked to repo. It is
// meant for store.Subscribe: it only updates memory and queues the
// publications the object completes, which Run then carries out.
func (p *Publisher) ObjectLinked(repo string, d digest.Digest) {
	if d.Algorithm() != digest.SHA256 {
		return
	}
	oid := d.Encoded()
	var ready []job
	p.mu.Lock()
	for j, w := range p.pending[repo] {
		if !w.missing[oid] {
			continue
		}
		delete(w.missing, oid)
		if len(w.missing) == 0 {
			delete(p.pending[repo], j)
			j.force = w.force
			ready = append(ready, j)
		}
	}
	p.mu.Unlock()
	for _, j := range ready {
		p.enqueue(j)
	}
}

// RecheckPending looks up, in the store, the objects every pending
// publication still misses, and queues those that miss none now. The store
// tells this process of the objects linked here (ObjectLinked); an object
// pushed through another replica is found this way.
func (p *Publisher) RecheckPending(ctx context.Context) {
	type want struct {
		repo string
		oid  string
	}
	p.mu.Lock()
	var wants []want
	for repo, jobs := range p.pending {
		for _, w := range jobs {
			for oid := range w.missing {
				wants = append(wants, want{repo, oid})
			}
		}
	}
	p.mu.Unlock()
	for _, w := range wants {
		d := digest.NewDigestFromEncoded(digest.SHA256, w.oid)
		if _, err := p.Store.Stat(ctx, w.repo, d); err == nil {
			p.ObjectLinked(w.repo, d)
		}
	}
}

// RunRecheck calls RecheckPending every interval until ctx is done.
func (p *Publisher) RunRecheck(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.RecheckPending(ctx)
		}
	}
}
