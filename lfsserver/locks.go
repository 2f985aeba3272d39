package lfsserver

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// Page sizes of lock listings and the longest lockable path.
const (
	defaultLockLimit = 100
	maxLockLimit     = 1000
	maxLockPath      = 4096
)

// lockJSON is a lock as the API shows it.
// Reference: git-lfs docs/api/locking.md ("Create Lock", "Successful Response").
type lockJSON struct {
	ID       string    `json:"id"`
	Path     string    `json:"path"`
	LockedAt time.Time `json:"locked_at"` // UTC, whole seconds: RFC 3339 "…Z"
	Owner    ownerJSON `json:"owner"`
}

type ownerJSON struct {
	Name string `json:"name"`
}

func (rec lockRecord) json() lockJSON {
	return lockJSON{ID: rec.ID, Path: rec.Path, LockedAt: rec.LockedAt, Owner: ownerJSON{Name: rec.Owner}}
}

func locksJSON(recs []lockRecord) []lockJSON {
	out := make([]lockJSON, 0, len(recs)) // an empty list is [], never null
	for _, rec := range recs {
		out = append(out, rec.json())
	}
	return out
}

type lockResponse struct {
	Lock lockJSON `json:"lock"`
}

// createLock serves POST locks.
// Reference: git-lfs docs/api/locking.md ("Create Lock").
func (s *server) createLock(w http.ResponseWriter, r *http.Request, req *request) error {
	id, err := s.lockCaller(r, req, auth.Write)
	if err != nil {
		return err
	}
	var body struct {
		Path string   `json:"path"`
		Ref  *refJSON `json:"ref"`
	}
	if err := decodeJSON(limitBody(w, r, maxSmallBody), &body); err != nil {
		return err
	}
	if err := checkLockPath(body.Path); err != nil {
		return err
	}
	rec, err := s.locks.create(r.Context(), req.repo, body.Path, body.Ref.name(), id.User)
	if err != nil {
		return err // a held path is a *conflictError: 409 with the lock
	}
	writeJSON(w, http.StatusCreated, lockResponse{Lock: rec.json()})
	return nil
}

// listLocks serves GET locks?path=&id=&cursor=&limit=&refspec=.
// Reference: git-lfs docs/api/locking.md ("List Locks").
func (s *server) listLocks(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.lockCaller(r, req, auth.Read); err != nil {
		return err
	}
	q, err := listQuery(r.URL.Query())
	if err != nil {
		return err
	}
	recs, next, err := s.locks.list(r.Context(), req.repo, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Locks      []lockJSON `json:"locks"`
		NextCursor string     `json:"next_cursor,omitempty"`
	}{locksJSON(recs), encodeCursor(next)})
	return nil
}

// listQuery reads the filters and page of a lock listing. The refspec
// parameter is accepted and ignored: locks are not scoped by ref.
func listQuery(v url.Values) (lockQuery, error) {
	limit, err := parseLimit(v.Get("limit"))
	if err != nil {
		return lockQuery{}, err
	}
	after, err := decodeCursor(v.Get("cursor"))
	if err != nil {
		return lockQuery{}, err
	}
	return lockQuery{Path: v.Get("path"), ID: v.Get("id"), After: after, Limit: limit}, nil
}

// parseLimit reads the limit query parameter; empty means the default.
func parseLimit(s string) (int, error) {
	if s == "" {
		return defaultLockLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%w: limit %q is not a number", errValidation, clip(s))
	}
	return checkLimit(n)
}

// verifyLocks serves POST locks/verify: the locks of the repository, split
// into the caller's own and everybody else's.
// Reference: git-lfs docs/api/locking.md ("List Locks for Verification").
func (s *server) verifyLocks(w http.ResponseWriter, r *http.Request, req *request) error {
	id, err := s.lockCaller(r, req, auth.Write)
	if err != nil {
		return err
	}
	var body struct {
		Cursor string   `json:"cursor"`
		Limit  int      `json:"limit"`
		Ref    *refJSON `json:"ref"`
	}
	if err := decodeJSON(limitBody(w, r, maxSmallBody), &body); err != nil && !errors.Is(err, errEmptyBody) {
		return err
	}
	if body.Limit == 0 {
		body.Limit = defaultLockLimit
	}
	limit, err := checkLimit(body.Limit)
	if err != nil {
		return err
	}
	after, err := decodeCursor(body.Cursor)
	if err != nil {
		return err
	}
	recs, next, err := s.locks.list(r.Context(), req.repo, lockQuery{After: after, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, splitLocks(recs, id.User, encodeCursor(next)))
	return nil
}

type verifyLocksResponse struct {
	Ours       []lockJSON `json:"ours"`
	Theirs     []lockJSON `json:"theirs"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// splitLocks partitions locks by whether user owns them.
func splitLocks(recs []lockRecord, user, next string) verifyLocksResponse {
	res := verifyLocksResponse{Ours: []lockJSON{}, Theirs: []lockJSON{}, NextCursor: next}
	for _, rec := range recs {
		if rec.Owner == user {
			res.Ours = append(res.Ours, rec.json())
		} else {
			res.Theirs = append(res.Theirs, rec.json())
		}
	}
	return res
}

// unlock serves POST locks/{id}/unlock. The owner may unlock; anybody else
// needs force and admin access to the repository.
// Reference: git-lfs docs/api/locking.md ("Delete Lock").
func (s *server) unlock(w http.ResponseWriter, r *http.Request, req *request) error {
	id, err := s.lockCaller(r, req, auth.Write)
	if err != nil {
		return err
	}
	var body struct {
		Force bool     `json:"force"`
		Ref   *refJSON `json:"ref"`
	}
	if err := decodeJSON(limitBody(w, r, maxSmallBody), &body); err != nil && !errors.Is(err, errEmptyBody) {
		return err
	}
	rec, err := s.locks.remove(r.Context(), req.repo, req.param, func(l lockRecord) error {
		return mayUnlock(id, req.repo, l, body.Force)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lockResponse{Lock: rec.json()})
	return nil
}

// mayUnlock decides whether id may delete lock l of repo.
func mayUnlock(id *auth.Identity, repo string, l lockRecord, force bool) error {
	switch {
	case l.Owner == id.User:
		return nil
	case !force:
		return fmt.Errorf("%w: %q is locked by %s; only they can unlock it, or an admin with force",
			errForbidden, l.Path, l.Owner)
	case !id.Allows(repo, auth.Admin):
		return fmt.Errorf("%w: breaking the lock of %s on %q needs admin access to %q",
			errForbidden, l.Owner, l.Path, repo)
	}
	return nil
}

// lockCaller checks the Accept and Content-Type headers and that the caller
// holds level l.
func (s *server) lockCaller(r *http.Request, req *request, l auth.Level) (*auth.Identity, error) {
	if err := checkJSONHeaders(r); err != nil {
		return nil, err
	}
	return s.authorize(r, req.repo, l)
}

// checkLockPath accepts a non-empty path without NUL bytes.
func checkLockPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: path is required", errValidation)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%w: path contains a NUL byte", errValidation)
	case len(p) > maxLockPath:
		return fmt.Errorf("%w: path is longer than %d bytes", errValidation, maxLockPath)
	}
	return nil
}

// checkLimit bounds a page size: at least 1, at most maxLockLimit.
// Reference: git-lfs docs/api/locking.md ("The server should have its own
// upper and lower bounds on the supported limits").
func checkLimit(n int) (int, error) {
	if n < 1 {
		return 0, fmt.Errorf("%w: limit %d must be at least 1", errValidation, n)
	}
	return min(n, maxLockLimit), nil
}

// Cursors are opaque to clients: the path the next page starts at.
func encodeCursor(path string) string { return base64.RawURLEncoding.EncodeToString([]byte(path)) }

func decodeCursor(c string) (string, error) {
	p, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", fmt.Errorf("%w: cursor %q is not one this server returned", errValidation, clip(c))
	}
	return string(p), nil
}

// name returns the ref name, or "" without a ref.
func (r *refJSON) name() string {
	if r == nil {
		return ""
	}
	return r.Name
}
