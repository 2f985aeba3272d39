package oci

// Placeholders, replaced by manifests.go, tags.go and referrers.go.

import "net/http"

func (s *server) getManifest(w http.ResponseWriter, r *http.Request, rt route) error { return notYet() }
func (s *server) putManifest(w http.ResponseWriter, r *http.Request, rt route) error { return notYet() }
func (s *server) deleteManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	return notYet()
}
func (s *server) listTags(w http.ResponseWriter, r *http.Request, rt route) error { return notYet() }
func (s *server) listReferrers(w http.ResponseWriter, r *http.Request, rt route) error {
	return notYet()
}
