package api

import (
	"fmt"
	"net/http"

	"github.com/ballastml/ballast/internal/platform/httpx"
)

// history serves GET …/history?path=P: each version of the file at P,
// newest first.
func (a *api) history(w http.ResponseWriter, r *http.Request, rt route) error {
	path, err := required(r, "path")
	if err != nil {
		return err
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	vs, next, err := a.Index.PathHistory(r.Context(), rt.repo, path, p.limit, p.cursor)
	if err != nil {
		return err
	}
	if len(vs) == 0 && p.cursor == "" {
		return fmt.Errorf("%w: no LFS file was ever at %q in the indexed history of %s", errPathNotFound, path, rt.repo)
	}
	out := History{Repo: rt.repo, Path: path, Versions: make([]Version, len(vs)), NextCursor: next}
	for i, v := range vs {
		out.Versions[i] = Version{Commit: fromCommit(v.Commit), Size: v.Size, Removed: v.Removed}
		if !v.Removed {
			out.Versions[i].Digest = digestOf(v.OID)
		}
	}
	setNext(w, r, next)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
