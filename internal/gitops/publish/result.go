package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/internal/gitops/gitindex"
)

// Result says what a publication did, or would do once it is no longer
// pending.
type Result struct {
	Repo   string `json:"repo"`
	Commit string `json:"commit"`
	// GitTag is the Git tag published; "" when a commit was.
	GitTag string `json:"gitTag,omitempty"`
	// Tag is the OCI tag of the ModelPack artifact: GitTag mapped to a
	// valid OCI tag (see modelpack.Tag), or CommitTag for a commit.
	Tag string `json:"tag"`
	// Mapped is set when Tag is not GitTag verbatim.
	Mapped   bool          `json:"mapped,omitempty"`
	Manifest digest.Digest `json:"manifest"` // the ModelPack manifest at Tag
	// CommitTag ("git-<sha12>") names the commit's own artifact, without
	// version; CommitManifest is its digest.
	CommitTag      string        `json:"commitTag"`
	CommitManifest digest.Digest `json:"commitManifest"`
	// ImageTag ("<tag>-image") names the image-compatible form of a Git
	// tag; Image is its digest. Empty for a commit or with NoImage.
	ImageTag string        `json:"imageTag,omitempty"`
	Image    digest.Digest `json:"image,omitempty"`
	Files    int           `json:"files"` // files in the artifact
	// Missing are the oids of LFS objects the repository does not have
	// yet. When set, nothing was published: the publication is pending.
	Missing []string `json:"missing,omitempty"`
	// UpToDate is set when everything was published before.
	UpToDate bool `json:"upToDate,omitempty"`
}

// PublishRef publishes ref of repo now, whatever the tag pattern: a Git
// tag as its ModelPack artifact, image form and commit artifact; any other
// ref (branch, commit SHA) as its commit artifact. If LFS objects are
// missing it returns the Result with Missing set and an error wrapping
// ErrPending; the publication then happens as soon as they arrive (while
// Run runs).
func (p *Publisher) PublishRef(ctx context.Context, repo, ref string) (Result, error) {
	unlock := p.lock(repo)
	defer unlock()
	tag := strings.TrimPrefix(ref, "refs/tags/")
	sha, found, err := p.findTag(ctx, repo, tag)
	if err != nil {
		return Result{}, err
	}
	if found {
		return p.publishTag(ctx, repo, tag, sha, true)
	}
	c, err := p.Index.ResolveRef(ctx, repo, ref)
	if err != nil {
		return Result{}, err
	}
	return p.publishCommit(ctx, repo, c.SHA)
}

// findTag returns the commit the Git tag points to, if it exists.
func (p *Publisher) findTag(ctx context.Context, repo, tag string) (string, bool, error) {
	c, err := p.Index.ResolveRef(ctx, repo, "refs/tags/"+tag)
	if errors.Is(err, gitindex.ErrUnknownRef) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return c.SHA, true, nil
}

// plan is what publishing one commit needs.
type plan struct {
	files     []modelpack.File
	imageRoot string             // the source's ImageRoot
	meta      modelpack.Metadata // without version
	commit    modelpack.Artifact // the commit's own artifact
}

// newPlan reads commit sha of repo from the index and builds its commit
// artifact.
func (p *Publisher) newPlan(ctx context.Context, repo, sha string) (plan, error) {
	src, err := p.Index.Source(ctx, repo)
	if err != nil {
		return plan{}, err
	}
	c, err := p.Index.ResolveRef(ctx, repo, sha)
	if err != nil {
		return plan{}, err
	}
	indexed, err := p.Index.Files(ctx, repo, c.SHA)
	if err != nil {
		return plan{}, err
	}
	var pl plan
	for _, f := range indexed {
		if src.MatchPath(f.Path) {
			pl.files = append(pl.files, modelpack.File{Path: f.Path, OID: f.OID, Size: f.Size})
		}
	}
	pl.meta = metadata(repo, src, c)
	pl.imageRoot = src.ImageRoot
	if pl.commit, err = modelpack.ModelPack(pl.files, pl.meta); err != nil {
		return plan{}, fmt.Errorf("publish %s@%s: %w", repo, c.SHA, err)
	}
	return pl, nil
}

// metadata describes commit c of repo, as push.Commit.Metadata does for
// `ballast publish`: the same commit gives the same artifact.
func metadata(repo string, src gitindex.Source, c gitindex.Commit) modelpack.Metadata {
	m := modelpack.Metadata{Name: repo, Revision: c.SHA, Created: c.CommitTime, SourceURL: modelpack.SourceURL(src.URL)}
	if c.AuthorName != "" {
		m.Authors = []string{c.AuthorName}
	}
	return m
}

// isPending reports whether err says a publication waits for objects.
func isPending(err error) bool { return errors.Is(err, ErrPending) }
