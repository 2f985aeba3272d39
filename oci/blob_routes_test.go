package oci

import (
	"strings"
	"testing"
)

// Routes are shared by every endpoint; their tests live here.

func TestParseRoute(t *testing.T) {
	cases := []struct {
		path      string
		ep        endpoint
		name, ref string
	}{
		{"/v2/", epBase, "", ""},
		{"/v2", epBase, "", ""},
		{"/v2/ml/x/blobs/sha256:ab", epBlob, "ml/x", "sha256:ab"},
		{"/v2/ml/x/blobs/uploads/", epUploads, "ml/x", ""},
		{"/v2/ml/x/blobs/uploads/abc", epUpload, "ml/x", "abc"},
		{"/v2/ml/x/manifests/v1", epManifest, "ml/x", "v1"},
		{"/v2/ml/x/tags/list", epTags, "ml/x", ""},
		{"/v2/ml/x/referrers/sha256:ab", epReferrers, "ml/x", "sha256:ab"},
		// Repository names may hold the words of the endpoints.
		{"/v2/blobs/blobs/blobs/x", epBlob, "blobs/blobs", "x"},
		{"/v2/a/manifests/b/manifests/c", epManifest, "a/manifests/b", "c"},
		{"/v2/a/blobs/uploads/blobs/uploads/", epUploads, "a/blobs/uploads", ""},
	}
	for _, c := range cases {
		rt, ok := parseRoute(c.path)
		if !ok || rt != (route{ep: c.ep, name: c.name, ref: c.ref}) {
			t.Errorf("parseRoute(%q) = %+v, %v", c.path, rt, ok)
		}
	}
	for _, p := range []string{"", "/", "/v2/x", "/v2/x/blobs/", "/v2/x/blobs/a/b", "/v3/x/tags/list", "/v2//tags/list", "/v2/x/tags/list/"} {
		if rt, ok := parseRoute(p); ok {
			t.Errorf("parseRoute(%q) = %+v, want no route", p, rt)
		}
	}
}

func FuzzParseRoute(f *testing.F) {
	for _, p := range []string{"/v2/", "/v2/ml/x/blobs/sha256:ab", "/v2/ml/x/blobs/uploads/", "/v2/a/blobs/uploads/u", "/v2/a/manifests/b/manifests/c", "/v2/x/tags/list", "/v2/x/referrers/d", "/v2/../blobs/x"} {
		f.Add(p)
	}
	suffix := map[endpoint]string{
		epBlob: "/blobs/", epUploads: "/blobs/uploads/", epUpload: "/blobs/uploads/",
		epManifest: "/manifests/", epTags: "/tags/list", epReferrers: "/referrers/",
	}
	f.Fuzz(func(t *testing.T, path string) {
		rt, ok := parseRoute(path)
		if !ok || rt.ep == epBase {
			return
		}
		// The route rebuilds the path exactly, and the reference is one
		// path segment.
		if rt.name == "" || strings.Contains(rt.ref, "/") || "/v2/"+rt.name+suffix[rt.ep]+rt.ref != path {
			t.Fatalf("parseRoute(%q) = %+v", path, rt)
		}
		if _, ok := allowed[rt.ep]; !ok {
			t.Fatalf("parseRoute(%q): endpoint %d has no methods", path, rt.ep)
		}
	})
}
