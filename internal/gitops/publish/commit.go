package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/oci"
)

// publishCommit publishes the commit artifact of sha as git-<sha12>.
// p.lock(repo) is held.
func (p *Publisher) publishCommit(ctx context.Context, repo, sha string) (Result, error) {
	pl, err := p.newPlan(ctx, repo, sha)
	if err != nil {
		return Result{}, err
	}
	res := Result{Repo: repo, Commit: pl.meta.Revision, Files: len(pl.files), CommitTag: modelpack.CommitTag(pl.meta.Revision)}
	res.Tag, res.Manifest, res.CommitManifest = res.CommitTag, pl.commit.Descriptor.Digest, pl.commit.Descriptor.Digest
	key := job{repo: repo, kind: kindCommit, name: res.Commit}
	if res.UpToDate, err = p.tagIs(ctx, repo, res.Tag, res.Manifest); err != nil {
		return res, err
	}
	if res.UpToDate {
		p.done(key)
		return res, nil
	}
	if res.Missing, err = p.missing(ctx, repo, pl.files); err != nil {
		return res, err
	}
	if len(res.Missing) > 0 {
		p.wait(ctx, key, res)
		return res, fmt.Errorf("%w: %s@%s needs %d objects", ErrPending, repo, res.Commit, len(res.Missing))
	}
	if _, err := p.put(ctx, repo, pl.commit, res.CommitTag); err != nil {
		return res, err
	}
	p.done(key)
	p.log().Info("published commit", "repo", repo, "commit", res.Commit, "tag", res.Tag, "digest", res.Manifest, "files", res.Files)
	return res, nil
}

// tagIs reports whether tag of repo points to d.
func (p *Publisher) tagIs(ctx context.Context, repo, tag string, d digest.Digest) (bool, error) {
	got, err := p.Registry.ResolveTag(ctx, repo, tag)
	if errors.Is(err, oci.ErrUnknown) {
		return false, nil
	}
	return got == d, err
}

// put stores art's config and manifest in repo and points tags at it.
func (p *Publisher) put(ctx context.Context, repo string, art modelpack.Artifact, tags ...string) (digest.Digest, error) {
	if _, err := p.Registry.PutBlob(ctx, repo, art.Config); err != nil {
		return "", fmt.Errorf("publish %s: config: %w", repo, err)
	}
	d, err := p.Registry.PutManifest(ctx, repo, art.Descriptor.MediaType, art.Manifest, tags...)
	if err != nil {
		return "", fmt.Errorf("publish %s: manifest: %w", repo, err)
	}
	return d, nil
}
