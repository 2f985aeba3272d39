package oci

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// One referrers page holds at most referrersPage descriptors, and stops
// early once their annotations pass referrersBudget bytes (a manifest's
// annotations alone may approach the 4 MiB manifest limit).
const (
	referrersPage   = 1000
	referrersBudget = 4 << 20
)

// imageIndex is the body of a referrers response.
type imageIndex struct {
	SchemaVersion int        `json:"schemaVersion"`
	MediaType     string     `json:"mediaType"`
	Manifests     []referrer `json:"manifests"`
}

// listReferrers serves GET /v2/<name>/referrers/<digest>[?artifactType=…]:
// an image index of the manifests whose subject is <digest>. An unknown
// subject (or repository) has an empty list, never a 404. Further pages are
// reached through the Link header, whose last parameter is opaque.
// Reference: distribution-spec "Listing Referrers" (OCI-Filters-Applied
// when the artifactType filter was applied; 400 for an invalid digest).
func (s *server) listReferrers(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Read); err != nil {
		return err
	}
	subject := digest.Digest(rt.ref)
	if err := subject.Validate(); err != nil {
		return newErr(http.StatusBadRequest, CodeDigestInvalid, "invalid digest %q: %v", rt.ref, err)
	}
	q := r.URL.Query()
	artifactType := q.Get("artifactType")
	page, more, err := s.referrerPage(r.Context(), rt.name, subject, artifactType, q.Get("last"),
		referrersPage, referrersBudget)
	if err != nil {
		return err
	}
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	if more {
		next := url.Values{"last": {page[len(page)-1].Digest}}
		if artifactType != "" {
			next.Set("artifactType", artifactType)
		}
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/referrers/%s?%s>; rel="next"`, rt.name, subject, next.Encode()))
	}
	return respondJSON(w, mtOCIIndex, imageIndex{SchemaVersion: 2, MediaType: mtOCIIndex, Manifests: page})
}
