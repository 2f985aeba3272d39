package api

import (
	"fmt"
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

// showRepo serves GET /api/v1/repos/{repo}: 200 if the repository exists.
func (a *api) showRepo(w http.ResponseWriter, r *http.Request, rt route) error {
	ok, err := a.repoExists(r, rt.repo)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %q", errRepoNotFound, rt.repo)
	}
	httpx.WriteJSON(w, http.StatusOK, Repo{Name: rt.repo})
	return nil
}

// createRepo serves PUT /api/v1/repos/{repo}: it creates the repository,
// empty, and answers 201, or 200 if it existed.
func (a *api) createRepo(w http.ResponseWriter, r *http.Request, rt route) error {
	if a.CreateRepo == nil {
		return fmt.Errorf("%w: this server cannot create repositories", errMethod)
	}
	created, err := a.CreateRepo(r.Context(), rt.repo)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		a.log.InfoContext(r.Context(), "repository created", "repo", rt.repo, "by", caller(r))
	}
	httpx.WriteJSON(w, status, Repo{Name: rt.repo, Created: created})
	return nil
}

// deleteRepo serves DELETE /api/v1/repos/{repo}: 204 once the repository
// and everything it holds are gone; 404 if there was none.
func (a *api) deleteRepo(w http.ResponseWriter, r *http.Request, rt route) error {
	if a.DeleteRepo == nil {
		return fmt.Errorf("%w: this server cannot delete repositories", errMethod)
	}
	existed, err := a.DeleteRepo(r.Context(), rt.repo)
	if err != nil {
		return err
	}
	if !existed {
		return fmt.Errorf("%w: %q", errRepoNotFound, rt.repo)
	}
	a.log.InfoContext(r.Context(), "repository deleted", "repo", rt.repo, "by", caller(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) repoExists(r *http.Request, repo string) (bool, error) {
	if a.RepoExists == nil {
		return false, nil
	}
	return a.RepoExists(r.Context(), repo)
}

// stats serves GET /api/v1/stats: the logical size of each repository the
// caller can read and, for an admin of everything, the store's totals.
func (a *api) stats(w http.ResponseWriter, r *http.Request, _ route) error {
	if a.Usage == nil || a.ReposUsage == nil || a.Repos == nil {
		return fmt.Errorf("%w: this server keeps no statistics", errNotFound)
	}
	id := auth.FromContext(r.Context())
	names, err := auth.ReadableNames(r.Context(), id, a.Repos, "", reposScan, reposScan)
	if err != nil {
		return err
	}
	var out Stats
	if out.Repos, err = a.ReposUsage(r.Context(), names); err != nil {
		return err
	}
	if id.IsAdmin() {
		u, err := a.Usage(r.Context())
		if err != nil {
			return err
		}
		out.Total = &u
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
