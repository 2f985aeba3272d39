package api

import (
	"net/http"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// reposScan bounds the repositories one page looks at, readable or not.
const reposScan = 10_000

// repos serves GET /api/v1/repos: the repositories the caller can read, in
// name order, the same list as the registry's /v2/_catalog. The cursor is
// the last name of the page, one the caller can read.
func (a *api) repos(w http.ResponseWriter, r *http.Request, _ route) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	out, next := []string{}, ""
	if a.Repos != nil {
		out, err = auth.ReadableNames(r.Context(), auth.FromContext(r.Context()), a.Repos, p.cursor, p.limit+1, reposScan)
		if err != nil {
			return err
		}
	}
	if len(out) > p.limit {
		out = out[:p.limit]
		next = out[len(out)-1]
	}
	setNext(w, r, next)
	httpx.WriteJSON(w, http.StatusOK, Repos{Repos: out, NextCursor: next})
	return nil
}
