package lfsserver

import (
	"net/http"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// authenticate identifies the caller. A failure is auth.ErrNoCredentials or
// auth.ErrInvalidToken (401), or an internal error.
// Reference: git-lfs docs/api/authentication.md (HTTP Basic; the token is
// the password).
func (s *server) authenticate(r *http.Request) (*auth.Identity, error) {
	id, err := s.auth.Authenticate(r)
	if err == nil && id == nil {
		err = auth.ErrNoCredentials
	}
	return id, err
}

// authorize authenticates the caller and requires level l on repo. A
// write to a repository that does not exist also needs the right to create
// it (auth.Creation).
func (s *server) authorize(r *http.Request, repo string, l auth.Level) (*auth.Identity, error) {
	id, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	if err := require(id, repo, l); err != nil {
		return id, err
	}
	if l >= auth.Write {
		return id, s.create.CheckPush(r.Context(), id, repo)
	}
	return id, nil
}

// require checks that id holds level l on repo (auth.Require).
// Reference: git-lfs docs/api/batch.md ("401 - The authentication
// credentials are needed", "403 - The user has read, but not write access").
func require(id *auth.Identity, repo string, l auth.Level) error { return auth.Require(id, repo, l) }
