package push

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/ballastml/ballast/internal/format/gitglob"
	"github.com/ballastml/ballast/internal/format/lfspointer"
	"github.com/ballastml/ballast/internal/format/modelpack"
)

// Checkout is a local Git repository.
type Checkout struct {
	repo   *git.Repository
	gitDir string // where lfs/objects lives
}

// OpenCheckout opens the Git repository containing dir (dir itself or a
// parent, as git does).
func OpenCheckout(dir string) (*Checkout, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("open Git repository at %s: %w", dir, err)
	}
	c := &Checkout{repo: repo}
	if fs, ok := repo.Storer.(*filesystem.Storage); ok {
		c.gitDir = commonDir(fs.Filesystem().Root())
	}
	return c, nil
}

// commonDir is the directory shared by all worktrees of the repository
// whose git directory is gitDir: LFS keeps its objects there.
func commonDir(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if err != nil {
		return gitDir
	}
	d := strings.TrimSpace(string(b))
	if !filepath.IsAbs(d) {
		d = filepath.Join(gitDir, d)
	}
	return filepath.Clean(d)
}

// Commit is a resolved ref: the commit's metadata and its LFS files.
type Commit struct {
	SHA    string
	Tag    string // the Git tag the ref names, if it names one
	Author string
	Time   time.Time // commit (committer) time
	Files  []modelpack.File
	// Problems are pointer files that break the Git LFS rules; they are
	// left out of Files.
	Problems []string
}

// Metadata is the artifact metadata of c in repository name, built as
// the server builds it (given the same source URL), so the same commit
// gives the same artifact.
func (c Commit) Metadata(name, sourceURL string) modelpack.Metadata {
	m := modelpack.Metadata{Name: name, Version: c.Tag, SourceURL: sourceURL, Revision: c.SHA, Created: c.Time}
	if c.Author != "" {
		m.Authors = []string{c.Author}
	}
	return m
}

// Commit resolves ref (a branch, tag, commit SHA or any revision go-git
// understands, such as HEAD~1) and reads the LFS pointer files of its tree.
func (c *Checkout) Commit(ref string) (Commit, error) {
	h, err := c.repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return Commit{}, fmt.Errorf("resolve %s: %w", ref, err)
	}
	obj, err := c.repo.CommitObject(*h)
	if err != nil {
		return Commit{}, err
	}
	out := Commit{SHA: obj.Hash.String(), Tag: c.tagName(ref), Author: obj.Author.Name, Time: obj.Committer.When}
	files, err := obj.Files()
	if err != nil {
		return Commit{}, err
	}
	err = files.ForEach(func(f *object.File) error { return out.add(f) })
	return out, err
}

// tagName returns the tag ref names, or "" if it names none.
func (c *Checkout) tagName(ref string) string {
	name := strings.TrimPrefix(ref, "refs/tags/")
	if _, err := c.repo.Reference(plumbing.NewTagReferenceName(name), false); err != nil {
		return ""
	}
	return name
}

// add records f if it is a Git LFS pointer. Small files that are not
// pointers are ordinary Git files; one that starts like a pointer but
// breaks the rules is a Problem.
func (c *Commit) add(f *object.File) error {
	if f.Size > lfspointer.MaxSize || (f.Mode != filemode.Regular && f.Mode != filemode.Executable) {
		return nil
	}
	r, err := f.Reader()
	if err != nil {
		return err
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return err
	}
	p, err := lfspointer.Parse(b)
	switch {
	case err == nil:
		c.Files = append(c.Files, modelpack.File{Path: f.Name, OID: p.OID, Size: p.Size})
	case bytes.HasPrefix(b, []byte("version https://git-lfs.")) || bytes.HasPrefix(b, []byte("version https://hawser.")):
		c.Problems = append(c.Problems, fmt.Sprintf("%s: %v", f.Name, err))
	}
	return nil
}

// SourceURL is the URL of the "origin" remote as an artifact's source
// URL (modelpack.SourceURL), or "" if there is none.
func (c *Checkout) SourceURL() string {
	r, err := c.repo.Remote("origin")
	if err != nil || len(r.Config().URLs) == 0 {
		return ""
	}
	return modelpack.SourceURL(r.Config().URLs[0])
}

// ObjectPath is where Git LFS keeps object oid in this checkout, whether
// or not it is there.
func (c *Checkout) ObjectPath(oid string) string {
	return filepath.Join(c.gitDir, "lfs", "objects", oid[:2], oid[2:4], oid)
}

// Select returns the files of c that pathFilter selects, with the
// semantics of a connected repository's path filter
// (gitglob.MatchFilter): "" selects all.
func (c Commit) Select(pathFilter string) []modelpack.File {
	var out []modelpack.File
	for _, f := range c.Files {
		if gitglob.MatchFilter(pathFilter, f.Path) {
			out = append(out, f)
		}
	}
	return out
}
