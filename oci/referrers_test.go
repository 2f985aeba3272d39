package oci

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// getReferrers fetches the referrers of subject and checks the envelope.
func getReferrers(t *testing.T, e *menv, subject, query string) (imageIndex, http.Header) {
	t.Helper()
	r := e.call(http.MethodGet, "/v2/"+mrepo+"/referrers/"+subject+query, nil).want(t, http.StatusOK)
	if r.Header.Get("Content-Type") != mtOCIIndex {
		t.Fatalf("referrers: Content-Type %q", r.Header.Get("Content-Type"))
	}
	var idx imageIndex
	if err := json.Unmarshal(r.body, &idx); err != nil || idx.SchemaVersion != 2 || idx.MediaType != mtOCIIndex || idx.Manifests == nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return idx, r.Header
}

func TestReferrers(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	target := e.pushImage("target")
	td := digest.FromBytes(target)
	e.put("v1", mtOCIManifest, target).want(t, http.StatusCreated)
	subject := descriptor{MediaType: mtOCIManifest, Digest: td, Size: int64(len(target))}

	empty := e.blob(mrepo, []byte("{}"))
	empty.MediaType = "application/vnd.oci.empty.v1+json"
	sbomCfg := e.blob(mrepo, []byte(`{"sbom":true}`))
	sbomCfg.MediaType = "application/vnd.example.sbom.config"
	sig := imageManifest(empty, nil, map[string]any{
		"artifactType": "application/vnd.example.signature",
		"subject":      subject,
		"annotations":  map[string]string{"org.example.signer": "alice"},
	})
	sbom := imageManifest(sbomCfg, nil, map[string]any{"subject": subject}) // listed under its config type
	idx := imageIndexOf([]descriptor{}, map[string]any{"subject": subject})

	for _, m := range []struct {
		body []byte
		mt   string
	}{{sig, mtOCIManifest}, {sbom, mtOCIManifest}, {idx, mtOCIIndex}} {
		r := e.put(digest.FromBytes(m.body).String(), m.mt, m.body).want(t, http.StatusCreated)
		if r.Header.Get("OCI-Subject") != td.String() {
			t.Fatalf("OCI-Subject %q", r.Header.Get("OCI-Subject"))
		}
	}
	want := []referrer{
		{MediaType: mtOCIManifest, Digest: digest.FromBytes(sig).String(), Size: int64(len(sig)),
			ArtifactType: "application/vnd.example.signature", Annotations: json.RawMessage(`{"org.example.signer":"alice"}`)},
		{MediaType: mtOCIManifest, Digest: digest.FromBytes(sbom).String(), Size: int64(len(sbom)),
			ArtifactType: "application/vnd.example.sbom.config"},
		{MediaType: mtOCIIndex, Digest: digest.FromBytes(idx).String(), Size: int64(len(idx))},
	}
	slices.SortFunc(want, func(a, b referrer) int { return strings.Compare(a.Digest, b.Digest) })

	got, h := getReferrers(t, e, td.String(), "")
	if !sameReferrers(got.Manifests, want) || h.Get("OCI-Filters-Applied") != "" {
		t.Fatalf("referrers %+v, want %+v", got.Manifests, want)
	}
	got, h = getReferrers(t, e, td.String(), "?artifactType=application/vnd.example.signature")
	if len(got.Manifests) != 1 || got.Manifests[0].Digest != digest.FromBytes(sig).String() || h.Get("OCI-Filters-Applied") != "artifactType" {
		t.Fatalf("filtered %+v, header %q", got.Manifests, h.Get("OCI-Filters-Applied"))
	}
	got, h = getReferrers(t, e, td.String(), "?artifactType=application/none")
	if len(got.Manifests) != 0 || h.Get("OCI-Filters-Applied") != "artifactType" {
		t.Fatalf("no match %+v", got.Manifests)
	}

	// Deleting a referrer removes its entry; deleting the subject does not
	// remove the referrers.
	e.call(http.MethodDelete, manifestPath(digest.FromBytes(sig).String()), nil).want(t, http.StatusAccepted)
	e.call(http.MethodDelete, manifestPath(td.String()), nil).want(t, http.StatusAccepted)
	if got, _ := getReferrers(t, e, td.String(), ""); len(got.Manifests) != 2 {
		t.Fatalf("after deletes: %+v", got.Manifests)
	}
}

func sameReferrers(a, b []referrer) bool {
	return slices.EqualFunc(a, b, func(x, y referrer) bool {
		return x.MediaType == y.MediaType && x.Digest == y.Digest && x.Size == y.Size &&
			x.ArtifactType == y.ArtifactType && string(x.Annotations) == string(y.Annotations)
	})
}

func TestReferrersEmptyAndInvalid(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	e.putBlob(mrepo, []byte("x"))
	for _, repo := range []string{mrepo, "ml/never-pushed"} {
		r := e.call(http.MethodGet, "/v2/"+repo+"/referrers/"+digest.FromString("x").String(), nil).want(t, http.StatusOK)
		if string(r.body) != `{"schemaVersion":2,"mediaType":"`+mtOCIIndex+`","manifests":[]}` {
			t.Fatalf("%s: %s", repo, r.body)
		}
	}
	for _, d := range []string{"sha256:baddigeststring", "nodigest"} {
		e.call(http.MethodGet, "/v2/"+mrepo+"/referrers/"+d, nil).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	}
}
