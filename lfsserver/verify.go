package lfsserver

import (
	"fmt"
	"net/http"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/store"
)

// verify serves POST objects/verify: 200 if the object is in the repository
// with the given size, 404 if it is not, 422 if its size differs.
// Reference: git-lfs docs/api/basic-transfers.md ("Verification": "A 200
// response means that the object exists on the server").
func (s *server) verify(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkJSONHeaders(r); err != nil {
		return err
	}
	if _, err := s.authorize(r, req.repo, auth.Write); err != nil {
		return err
	}
	var p pointer
	if err := decodeJSON(limitBody(w, r, maxSmallBody), &p); err != nil {
		return err
	}
	d, err := p.check()
	if err != nil {
		return err
	}
	info, err := s.store.Stat(r.Context(), req.repo, d)
	if err != nil {
		return err
	}
	if info.Damaged {
		return fmt.Errorf("%w: object %s", store.ErrDamaged, p.Oid)
	}
	if info.Size != p.Size {
		return fmt.Errorf("%w: object %s has %d bytes, not %d", errValidation, p.Oid, info.Size, p.Size)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
