package oci

import (
	"net/http"
	"regexp"
)

// endpoint identifies which API a request addresses.
type endpoint int

const (
	epBase      endpoint = iota // /v2/
	epBlob                      // /v2/<name>/blobs/<digest>
	epUploads                   // /v2/<name>/blobs/uploads/
	epUpload                    // /v2/<name>/blobs/uploads/<id>
	epManifest                  // /v2/<name>/manifests/<reference>
	epTags                      // /v2/<name>/tags/list
	epReferrers                 // /v2/<name>/referrers/<digest>
	epCatalog                   // /v2/_catalog
)

// route is a parsed request path. name is validated once, here.
type route struct {
	ep   endpoint
	name string // repository
	ref  string // digest, upload id or manifest reference, unvalidated
}

// pathRE splits /v2/<name>/<suffix>. The name is greedy, so the last
// matching suffix wins: a repository may itself contain "blobs" or
// "manifests" as a path component.
// Reference: distribution-spec "Endpoints" table.
var pathRE = regexp.MustCompile(`^/v2/(.+)/(?:(blobs/uploads)/([^/]*)|(blobs)/([^/]+)|(manifests)/([^/]+)|(tags/list)|(referrers)/([^/]+))$`)

// parseRoute maps a URL path to a route, or reports errNameInvalid /
// errNotFound-like conditions through ok=false.
func parseRoute(path string) (route, bool) {
	if path == "/v2/" || path == "/v2" {
		return route{ep: epBase}, true
	}
	if path == "/v2/_catalog" {
		return route{ep: epCatalog}, true
	}
	m := pathRE.FindStringSubmatch(path)
	if m == nil {
		return route{}, false
	}
	r := route{name: m[1]}
	switch {
	case m[2] != "":
		r.ep, r.ref = epUploads, m[3]
		if r.ref != "" {
			r.ep = epUpload
		}
	case m[4] != "":
		r.ep, r.ref = epBlob, m[5]
	case m[6] != "":
		r.ep, r.ref = epManifest, m[7]
	case m[8] != "":
		r.ep = epTags
	case m[9] != "":
		r.ep, r.ref = epReferrers, m[10]
	}
	return r, true
}

// allowed lists the methods of each endpoint, for 405 answers.
var allowed = map[endpoint][]string{
	epBase:      {http.MethodGet, http.MethodHead},
	epBlob:      {http.MethodGet, http.MethodHead, http.MethodDelete},
	epUploads:   {http.MethodPost},
	epUpload:    {http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete},
	epManifest:  {http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete},
	epTags:      {http.MethodGet},
	epReferrers: {http.MethodGet},
	epCatalog:   {http.MethodGet},
}
