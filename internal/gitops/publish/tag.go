package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/oci"
)

// imageSuffix ends the OCI tag of a Git tag's image form.
const imageSuffix = "-image"

// publishTag publishes Git tag gitTag of repo, pointing to commit sha:
// the commit artifact, the image form, then the ModelPack artifact under
// the tag, last, so that its presence means the rest is done. force is
// recorded with a pending publication: see job. p.lock(repo) is held.
func (p *Publisher) publishTag(ctx context.Context, repo, gitTag, sha string, force bool) (Result, error) {
	pl, err := p.newPlan(ctx, repo, sha)
	if err != nil {
		return Result{}, err
	}
	meta := pl.meta
	meta.Version = gitTag
	art, err := modelpack.ModelPack(pl.files, meta)
	if err != nil {
		return Result{}, fmt.Errorf("publish %s:%s: %w", repo, gitTag, err)
	}
	res := Result{
		Repo: repo, Commit: meta.Revision, GitTag: gitTag, Files: len(pl.files),
		Tag: modelpack.Tag(gitTag, ""), Manifest: art.Descriptor.Digest,
		CommitTag: modelpack.CommitTag(meta.Revision), CommitManifest: pl.commit.Descriptor.Digest,
	}
	res.Mapped = res.Tag != gitTag
	if !p.NoImage {
		res.ImageTag = modelpack.Tag(gitTag, imageSuffix)
	}
	key := job{repo: repo, kind: kindTag, name: gitTag, force: force}
	if res.UpToDate, err = p.tagIs(ctx, repo, res.Tag, res.Manifest); err != nil {
		return res, err
	}
	if res.UpToDate {
		p.done(key)
		if res.ImageTag != "" {
			res.Image, _ = p.Registry.ResolveTag(ctx, repo, res.ImageTag)
		}
		return res, nil
	}
	if res.Missing, err = p.missing(ctx, repo, pl.files); err != nil {
		return res, err
	}
	if len(res.Missing) > 0 {
		p.wait(ctx, key, res)
		return res, fmt.Errorf("%w: %s:%s needs %d objects", ErrPending, repo, gitTag, len(res.Missing))
	}
	if err := p.putTag(ctx, repo, pl, meta, art, &res); err != nil {
		return res, err
	}
	p.done(key)
	p.log().Info("published tag", "repo", repo, "git_tag", gitTag, "tag", res.Tag, "mapped", res.Mapped,
		"commit", res.Commit, "digest", res.Manifest, "image", res.Image, "files", res.Files)
	return res, nil
}

// putTag stores the three artifacts of a tag, the ModelPack tag last.
func (p *Publisher) putTag(ctx context.Context, repo string, pl plan, meta modelpack.Metadata, art modelpack.Artifact, res *Result) error {
	if _, err := p.put(ctx, repo, pl.commit, res.CommitTag); err != nil {
		return err
	}
	if res.ImageTag != "" {
		files, _ := modelpack.ImageFiles(pl.files, pl.imageRoot)
		img, err := p.image(ctx, repo, files, meta)
		if err != nil {
			return err
		}
		if res.Image, err = p.put(ctx, repo, img, res.ImageTag); err != nil {
			return err
		}
	}
	_, err := p.put(ctx, repo, art, res.Tag)
	return err
}

// unpublishTag deletes the OCI tags of a deleted Git tag. The manifests
// stay, reachable by digest and by git-<sha12>.
func (p *Publisher) unpublishTag(ctx context.Context, repo, gitTag string) error {
	p.done(job{repo: repo, kind: kindTag, name: gitTag})
	var errs []error
	for _, tag := range []string{modelpack.Tag(gitTag, ""), modelpack.Tag(gitTag, imageSuffix)} {
		err := p.Registry.DeleteTag(ctx, repo, tag)
		switch {
		case err == nil:
			p.log().Info("deleted tag", "repo", repo, "git_tag", gitTag, "tag", tag)
		case !errors.Is(err, oci.ErrUnknown):
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
