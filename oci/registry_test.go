package oci

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// newRegistryEnv returns a manifest test env and a Registry over the same
// store and database as its HTTP server.
func newRegistryEnv(t *testing.T, opts ...envOption) (*menv, *Registry) {
	t.Helper()
	e := newManifestEnv(t, opts...)
	r := NewRegistry(Config{Store: e.store, DB: e.db, AllowSparseManifests: e.opts.sparse, Logger: slog.New(slog.DiscardHandler)})
	return e, r
}

func TestRegistryPutManifest(t *testing.T) {
	t.Parallel()
	e, r := newRegistryEnv(t)
	ctx := context.Background()
	body := e.pushImage("a")
	d, err := r.PutManifest(ctx, mrepo, mtOCIManifest, body, "v1", "latest")
	if err != nil {
		t.Fatal(err)
	}
	if d != digest.FromBytes(body) {
		t.Fatalf("digest %s, want %s", d, digest.FromBytes(body))
	}
	// Served over HTTP byte-exact, under both tags and by digest.
	for _, ref := range []string{"v1", "latest", d.String()} {
		got := e.call(http.MethodGet, manifestPath(ref), nil).want(t, http.StatusOK)
		if !bytes.Equal(got.body, body) {
			t.Fatalf("GET %s: %q", ref, got.body)
		}
		wantHeaders(t, got, mtOCIManifest, d, len(body))
	}
	// Pushing again is idempotent; a Content-Type with parameters is the
	// same type, as over HTTP.
	if d2, err := r.PutManifest(ctx, mrepo, mtOCIManifest+"; charset=utf-8", body, "v1"); err != nil || d2 != d {
		t.Fatalf("second PutManifest = %s, %v", d2, err)
	}
}

func TestRegistryPutManifestValidates(t *testing.T) {
	t.Parallel()
	e, r := newRegistryEnv(t)
	ctx := context.Background()
	cfg := e.blob(mrepo, []byte(`{}`))
	missing := descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: digest.FromString("never pushed"), Size: 12}
	wrongSize := cfg
	wrongSize.Size++
	cases := []struct {
		name, repo, mt string
		body           []byte
		tags           []string
		code           Code
	}{
		{"missing blob", mrepo, mtOCIManifest, imageManifest(cfg, []descriptor{missing}, nil), nil, CodeManifestBlobUnknown},
		{"wrong size", mrepo, mtOCIManifest, imageManifest(wrongSize, nil, nil), nil, CodeManifestInvalid},
		{"not json", mrepo, mtOCIManifest, []byte("{"), nil, CodeManifestInvalid},
		{"duplicate keys", mrepo, mtOCIManifest, []byte(`{"schemaVersion":2,"schemaVersion":2}`), nil, CodeManifestInvalid},
		{"type mismatch", mrepo, mtOCIIndex, imageManifest(cfg, nil, nil), nil, CodeManifestInvalid},
		{"unsafe type", mrepo, "text/html", []byte(`{}`), nil, CodeManifestInvalid},
		{"no config", mrepo, mtOCIManifest, []byte(`{"schemaVersion":2,"mediaType":"` + mtOCIManifest + `","layers":[]}`), nil, CodeManifestInvalid},
		{"bad tag", mrepo, mtOCIManifest, imageManifest(cfg, nil, nil), []string{"-bad"}, CodeManifestInvalid},
		{"long tag", mrepo, mtOCIManifest, imageManifest(cfg, nil, nil), []string{strings.Repeat("a", 129)}, CodeManifestInvalid},
		{"bad repo", "ML/Cat", mtOCIManifest, imageManifest(cfg, nil, nil), nil, CodeNameInvalid},
		{"too large", mrepo, mtOCIManifest, make([]byte, maxManifestSize+1), nil, CodeSizeTooLarge},
	}
	for _, c := range cases {
		_, err := r.PutManifest(ctx, c.repo, c.mt, c.body, c.tags...)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != c.code {
			t.Errorf("%s: err %v, want %s", c.name, err, c.code)
		}
	}
	// Nothing was tagged.
	got := e.call(http.MethodGet, "/v2/"+mrepo+"/tags/list", nil).want(t, http.StatusOK)
	if !strings.Contains(string(got.body), `"tags":[]`) {
		t.Errorf("tags after failed pushes: %s", got.body)
	}
}

func TestRegistrySparse(t *testing.T) {
	t.Parallel()
	_, r := newRegistryEnv(t, withSparseManifests())
	missing := descriptor{MediaType: "application/json", Digest: digest.FromString("x"), Size: 1}
	if _, err := r.PutManifest(context.Background(), mrepo, mtOCIManifest, imageManifest(missing, nil, nil)); err != nil {
		t.Fatalf("sparse registry refused a manifest with a missing config: %v", err)
	}
}

func TestRegistryTags(t *testing.T) {
	t.Parallel()
	e, r := newRegistryEnv(t)
	ctx := context.Background()
	if _, err := r.ResolveTag(ctx, mrepo, "v1"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("ResolveTag of a missing tag: %v", err)
	}
	d1, err := r.PutManifest(ctx, mrepo, mtOCIManifest, e.pushImage("a"), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.ResolveTag(ctx, mrepo, "v1"); err != nil || got != d1 {
		t.Fatalf("ResolveTag = %s, %v; want %s", got, err, d1)
	}
	// A tag moves.
	d2, err := r.PutManifest(ctx, mrepo, mtOCIManifest, e.pushImage("b"), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.ResolveTag(ctx, mrepo, "v1"); got != d2 {
		t.Fatalf("moved tag resolves to %s, want %s", got, d2)
	}
	// Deleting a tag keeps the manifest.
	if err := r.DeleteTag(ctx, mrepo, "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ResolveTag(ctx, mrepo, "v1"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("ResolveTag after delete: %v", err)
	}
	e.call(http.MethodGet, manifestPath("v1"), nil).wantError(t, http.StatusNotFound, CodeManifestUnknown)
	e.call(http.MethodGet, manifestPath(d2.String()), nil).want(t, http.StatusOK)
	if err := r.DeleteTag(ctx, mrepo, "v1"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("second DeleteTag: %v", err)
	}
	if _, err := r.ResolveTag(ctx, mrepo, "no/tag"); err == nil {
		t.Fatal("ResolveTag accepted an invalid tag")
	}
}

func TestRegistryPutBlob(t *testing.T) {
	t.Parallel()
	e, r := newRegistryEnv(t)
	d, err := r.PutBlob(context.Background(), mrepo, []byte(`{"config":true}`))
	if err != nil || d != digest.FromString(`{"config":true}`) {
		t.Fatalf("PutBlob = %s, %v", d, err)
	}
	if !e.hasBlob(mrepo, d) {
		t.Fatal("blob not linked to the repository")
	}
}
