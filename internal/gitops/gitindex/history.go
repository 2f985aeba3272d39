package gitindex

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// change is an LFS path whose state a commit changed.
type change struct {
	file    File // the path's new LFS file; only Path is set when removed
	removed bool
}

// changes returns the LFS paths c changed. As in git's history
// simplification, a path counts as changed only if its state at c differs
// from its state at every parent: a merge that keeps one side's version
// did not change it. A root commit adds all its files.
func (l *lister) changes(ctx context.Context, c *object.Commit, files listing) ([]change, error) {
	var parents []listing
	for _, h := range c.ParentHashes {
		p, err := l.m.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		pl, ok, err := l.indexed(ctx, p.TreeHash)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("parent %s of %s is not indexed", h, c.Hash)
		}
		parents = append(parents, pl)
	}
	if len(parents) == 0 {
		parents = []listing{{}}
	}
	var out []change
	for _, ch := range diffListings(parents[0], files) {
		if !sameInAny(parents[1:], ch) {
			out = append(out, ch)
		}
	}
	return out, nil
}

// diffListings returns the paths whose LFS state differs from old to cur.
func diffListings(old, cur listing) []change {
	var out []change
	for p, f := range cur {
		if of, ok := old[p]; !ok || of != f {
			out = append(out, change{file: f})
		}
	}
	for p := range old {
		if _, ok := cur[p]; !ok {
			out = append(out, change{file: File{Path: p}, removed: true})
		}
	}
	return out
}

// sameInAny reports whether some listing already has ch's state.
func sameInAny(ls []listing, ch change) bool {
	for _, l := range ls {
		f, ok := l[ch.file.Path]
		if (ch.removed && !ok) || (!ch.removed && ok && f == ch.file) {
			return true
		}
	}
	return false
}
