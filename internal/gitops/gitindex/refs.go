package gitindex

import (
	"context"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// refKey names a branch or tag.
type refKey struct{ kind, name string }

// mirrorRefs returns the mirror's branches and tags, tags peeled to their
// commit. A tag of a tree or blob names no commit and is left out.
func (x *Indexer) mirrorRefs(m mirror, repo string) (map[refKey]string, error) {
	iter, err := m.References()
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	refs := make(map[refKey]string)
	err = iter.ForEach(func(r *plumbing.Reference) error {
		var k refKey
		switch {
		case r.Type() != plumbing.HashReference:
			return nil
		case r.Name().IsBranch():
			k = refKey{KindBranch, r.Name().Short()}
		case r.Name().IsTag():
			k = refKey{KindTag, r.Name().Short()}
		default:
			return nil
		}
		h, ok := peel(m, r.Hash())
		if !ok {
			x.log.Warn("git sync: ref names no commit, ignored", "repo", repo, "ref", r.Name().String())
			return nil
		}
		refs[k] = h.String()
		return nil
	})
	return refs, err
}

// peel follows annotated tags to the commit they name.
func peel(m mirror, h plumbing.Hash) (plumbing.Hash, bool) {
	for range 16 {
		obj, err := m.Storer.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return plumbing.ZeroHash, false
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return h, true
		case plumbing.TagObject:
			tag, err := object.DecodeTag(m.Storer, obj)
			if err != nil {
				return plumbing.ZeroHash, false
			}
			h = tag.Target
		default:
			return plumbing.ZeroHash, false
		}
	}
	return plumbing.ZeroHash, false
}

// storedRefs returns the refs indexed for repo.
func storedRefs(ctx context.Context, q queryer, repo string) (map[refKey]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, name, commit_sha FROM git_refs WHERE repo = ?`, repo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	refs := make(map[refKey]string)
	for rows.Next() {
		var k refKey
		var sha string
		if err := rows.Scan(&k.kind, &k.name, &sha); err != nil {
			return nil, err
		}
		refs[k] = sha
	}
	return refs, rows.Err()
}

// diffRefs lists the refs created, moved or deleted between old and cur,
// by kind then name.
func diffRefs(old, cur map[refKey]string) []RefChange {
	var out []RefChange
	for k, sha := range cur {
		if old[k] != sha {
			out = append(out, RefChange{Name: k.name, Kind: k.kind, Old: old[k], New: sha})
		}
	}
	for k, sha := range old {
		if _, ok := cur[k]; !ok {
			out = append(out, RefChange{Name: k.name, Kind: k.kind, Old: sha})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// writeRefs applies changes to the stored refs.
func writeRefs(ctx context.Context, q queryer, repo string, changes []RefChange) error {
	for _, c := range changes {
		if _, err := q.ExecContext(ctx, `DELETE FROM git_refs WHERE repo = ? AND kind = ? AND name = ?`,
			repo, c.Kind, c.Name); err != nil {
			return err
		}
		if c.New == "" {
			continue
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO git_refs (repo, kind, name, commit_sha) VALUES (?, ?, ?, ?)`,
			repo, c.Kind, c.Name, c.New); err != nil {
			return err
		}
	}
	return nil
}
