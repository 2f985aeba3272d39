package gitindex

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// listing is the LFS files of one tree, by path. Listings are shared
// between commits and caches, so they are never modified once built.
type listing map[string]File

// lister computes the listings of commits' trees, parents first.
type lister struct {
	m      mirror
	repo   string
	q      queryer // the open batch, so listings written in it are found
	stats  *counters
	recent recentListings
	blobs  blobCache
}

func newLister(m mirror, repo string, stats *counters) *lister {
	return &lister{m: m, repo: repo, stats: stats, blobs: newBlobCache(m, func() { stats.blobsRead.Add(1) })}
}

// list returns the listing of c's tree and the problems c introduced: a
// tree indexed before is reused as is; otherwise the listing is the first
// parent's with the tree diff applied (unchanged subtrees are not read);
// a root commit, or a commit that changes a .gitattributes file, is
// listed in full.
func (l *lister) list(ctx context.Context, c *object.Commit) (listing, []Problem, error) {
	files, ok, err := l.indexed(ctx, c.TreeHash)
	if err != nil || ok {
		if ok {
			l.stats.reused.Add(1)
		}
		return files, nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, nil, fmt.Errorf("read tree of %s: %w", c.Hash, err)
	}
	var probs []Problem
	if len(c.ParentHashes) > 0 {
		files, probs, ok, err = l.fromParent(ctx, c, tree)
	}
	if err == nil && !ok {
		files, probs, err = l.full(c, tree)
	}
	if err != nil {
		return nil, nil, err
	}
	l.recent.put(c.TreeHash, files)
	return files, probs, nil
}

// indexed returns the listing of a tree some indexed commit has.
func (l *lister) indexed(ctx context.Context, tree plumbing.Hash) (listing, bool, error) {
	if files, ok := l.recent.get(tree); ok {
		return files, true, nil
	}
	files, ok, err := loadListing(ctx, l.q, l.repo, tree.String())
	if ok {
		l.recent.put(tree, files)
	}
	return files, ok, err
}

// fromParent derives c's listing from its first parent's. ok is false when
// the diff changes a .gitattributes file, which can change how unchanged
// files are classified.
func (l *lister) fromParent(ctx context.Context, c *object.Commit, tree *object.Tree) (
	files listing, probs []Problem, ok bool, err error) {
	parent, err := l.m.CommitObject(c.ParentHashes[0])
	if err != nil {
		return nil, nil, false, fmt.Errorf("read commit %s: %w", c.ParentHashes[0], err)
	}
	base, ok, err := l.indexed(ctx, parent.TreeHash)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	ptree, err := parent.Tree()
	if err != nil {
		return nil, nil, false, fmt.Errorf("read tree of %s: %w", parent.Hash, err)
	}
	diff, err := object.DiffTreeWithOptions(ctx, ptree, tree, nil)
	if err != nil {
		return nil, nil, false, fmt.Errorf("diff %s: %w", c.Hash, err)
	}
	for _, ch := range diff {
		if path.Base(ch.From.Name) == ".gitattributes" || path.Base(ch.To.Name) == ".gitattributes" {
			return nil, nil, false, nil
		}
	}
	files = maps.Clone(base)
	attrs := l.attributes(tree)
	for _, ch := range diff {
		delete(files, ch.From.Name)
		if ch.To.Name == "" {
			continue
		}
		if probs, err = l.add(files, probs, c, ch.To.Name, ch.To.TreeEntry, attrs); err != nil {
			return nil, nil, false, err
		}
	}
	return files, probs, true, nil
}

// full lists every file of tree.
func (l *lister) full(c *object.Commit, tree *object.Tree) (listing, []Problem, error) {
	files := make(listing)
	var probs []Problem
	attrs := l.attributes(tree)
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, entry, err := walker.Next()
		if err == io.EOF {
			return files, probs, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("walk tree of %s: %w", c.Hash, err)
		}
		if probs, err = l.add(files, probs, c, name, entry, attrs); err != nil {
			return nil, nil, err
		}
	}
}

// add classifies the file at p: a pointer joins files, a problem joins probs.
func (l *lister) add(files listing, probs []Problem, c *object.Commit, p string, e object.TreeEntry,
	attrs *attributes) ([]Problem, error) {
	if e.Mode != filemode.Regular && e.Mode != filemode.Executable && e.Mode != filemode.Deprecated {
		return probs, nil // directories, symlinks and submodules hold no pointer
	}
	ptr, kind, detail, err := l.blobs.classify(e.Hash, func() bool { return attrs.tracked(p) })
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s at %s: %w", p, c.Hash, err)
	case kind != "":
		probs = append(probs, Problem{Commit: c.Hash.String(), Path: p, Kind: kind, Detail: detail})
	case ptr != nil:
		files[p] = File{Path: p, OID: ptr.OID, Size: ptr.Size}
	}
	return probs, nil
}

// attributes resolves which paths of tree Git LFS tracks, reading each
// directory's .gitattributes when a path below it is first asked about.
func (l *lister) attributes(tree *object.Tree) *attributes {
	return newAttributes(func(dir string) []attrRule {
		t := tree
		if dir != "." {
			sub, err := tree.Tree(dir)
			if err != nil {
				return nil
			}
			t = sub
		}
		e, err := t.FindEntry(".gitattributes")
		if err != nil || !e.Mode.IsFile() {
			return nil
		}
		return l.blobs.attributes(e.Hash)
	})
}

// recentListings keeps the last few listings by tree hash: in a linear
// history the next commit's parent is the commit just listed.
type recentListings struct {
	trees [8]plumbing.Hash
	files [8]listing
	next  int
}

func (r *recentListings) get(tree plumbing.Hash) (listing, bool) {
	for i, t := range r.trees {
		if t == tree && r.files[i] != nil {
			return r.files[i], true
		}
	}
	return nil, false
}

func (r *recentListings) put(tree plumbing.Hash, files listing) {
	if _, ok := r.get(tree); ok {
		return
	}
	r.trees[r.next], r.files[r.next] = tree, files
	r.next = (r.next + 1) % len(r.trees)
}
