package oci

// Placeholders, replaced by auth.go, blobs.go and uploads.go.

import (
	"net/http"

	"github.com/ballastml/ballast/internal/auth"
)

func notYet() error { return newErr(http.StatusNotImplemented, CodeUnsupported, "not implemented yet") }

// authorize returns the caller's identity if it holds lvl on repo, else an
// *Error: 401 with the token challenge's scope, or 403 DENIED.
func (s *server) authorize(r *http.Request, repo string, lvl auth.Level) (*auth.Identity, error) {
	return nil, notYet()
}

// challenge sets WWW-Authenticate on a 401 for scope (may be empty).
func (s *server) challenge(w http.ResponseWriter, r *http.Request, scope string) {}

func (s *server) serveToken(w http.ResponseWriter, r *http.Request)                  {}
func (s *server) base(w http.ResponseWriter, r *http.Request) error                  { return notYet() }
func (s *server) getBlob(w http.ResponseWriter, r *http.Request, rt route) error     { return notYet() }
func (s *server) deleteBlob(w http.ResponseWriter, r *http.Request, rt route) error  { return notYet() }
func (s *server) startUpload(w http.ResponseWriter, r *http.Request, rt route) error { return notYet() }
func (s *server) uploadStatus(w http.ResponseWriter, r *http.Request, rt route) error {
	return notYet()
}
func (s *server) patchUpload(w http.ResponseWriter, r *http.Request, rt route) error { return notYet() }
func (s *server) finishUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	return notYet()
}
func (s *server) cancelUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	return notYet()
}
