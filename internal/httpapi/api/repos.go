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
	id := auth.FromContext(r.Context())
	out := []string{}
	after, next := p.cursor, ""
	for scanned := 0; a.Repos != nil && scanned < reposScan; {
		page, err := a.Repos(r.Context(), after, 500)
		if err != nil {
			return err
		}
		for _, repo := range page {
			if !id.Allows(repo, auth.Read) {
				continue
			}
			if len(out) == p.limit {
				next = out[len(out)-1]
				break
			}
			out = append(out, repo)
		}
		if next != "" || len(page) < 500 {
			break
		}
		scanned += len(page)
		after = page[len(page)-1]
	}
	setNext(w, r, next)
	httpx.WriteJSON(w, http.StatusOK, Repos{Repos: out, NextCursor: next})
	return nil
}
