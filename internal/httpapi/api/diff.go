package api

import (
	"net/http"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// diff serves GET …/diff?from=REF&to=REF: the LFS files added, removed and
// changed (other digest) from one ref to the other, by path.
func (a *api) diff(w http.ResponseWriter, r *http.Request, rt route) error {
	from, err := required(r, "from")
	if err != nil {
		return err
	}
	to, err := required(r, "to")
	if err != nil {
		return err
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	fromC, oldFiles, err := a.filesAt(r, rt.repo, from)
	if err != nil {
		return err
	}
	toC, newFiles, err := a.filesAt(r, rt.repo, to)
	if err != nil {
		return err
	}
	out := Diff{Repo: rt.repo, From: RefAt{Ref: from, Commit: fromC.SHA}, To: RefAt{Ref: to, Commit: toC.SHA}}
	changes := compare(oldFiles, newFiles)
	for _, c := range changes {
		switch c.Status {
		case "added":
			out.Added++
		case "removed":
			out.Removed++
		default:
			out.Changed++
		}
	}
	if out.Changes, out.NextCursor, err = pageByPath(changes, func(c Change) string { return c.Path }, p); err != nil {
		return err
	}
	setNext(w, r, out.NextCursor)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) filesAt(r *http.Request, repo, ref string) (gitindex.Commit, []gitindex.File, error) {
	c, err := a.Index.ResolveRef(r.Context(), repo, ref)
	if err != nil {
		return c, nil, err
	}
	files, err := a.Index.Files(r.Context(), repo, c.SHA)
	return c, files, err
}

// compare lists the files that differ between old and new.
func compare(old, new []gitindex.File) []Change {
	before := make(map[string]gitindex.File, len(old))
	for _, f := range old {
		before[f.Path] = f
	}
	changes := []Change{}
	for _, f := range new {
		o, ok := before[f.Path]
		delete(before, f.Path)
		switch {
		case !ok:
			changes = append(changes, Change{Status: "added", Path: f.Path, New: fromFile(f)})
		case o.OID != f.OID || o.Size != f.Size:
			changes = append(changes, Change{Status: "changed", Path: f.Path, Old: fromFile(o), New: fromFile(f)})
		}
	}
	for _, o := range before {
		changes = append(changes, Change{Status: "removed", Path: o.Path, Old: fromFile(o)})
	}
	return changes
}
