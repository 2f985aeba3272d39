package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/opencontainers/go-digest"
)

// newIndexServer is a server with only a metadata database, for testing
// the SQL layer on its own.
func newIndexServer(t *testing.T) *server {
	t.Helper()
	database := dbtest.Open(t)
	return &server{db: database}
}

// artifact is a parsed manifest as putManifest would record it.
func artifact(artifactType string, subject digest.Digest, annotations string, refs ...digest.Digest) *manifest {
	m := &manifest{mediaType: mtOCIManifest, artifactType: artifactType}
	if subject != "" {
		m.subject = &descriptor{MediaType: mtOCIManifest, Digest: subject, Size: 1}
	}
	if annotations != "" {
		m.annotations = json.RawMessage(annotations)
	}
	for _, r := range refs {
		m.refs = append(m.refs, descriptor{MediaType: "a/b", Digest: r, Size: 1})
	}
	return m
}

func TestIndexManifestsAndTags(t *testing.T) {
	s, ctx := newIndexServer(t), context.Background()
	d1, d2 := digest.FromString("m1"), digest.FromString("m2")
	if err := s.saveManifest(ctx, "ml/x", d1, 2, artifact("", "", ""), []string{"v1", "latest"}); err != nil {
		t.Fatal(err)
	}
	info, err := s.lookupManifest(ctx, "ml/x", reference{tag: "latest"})
	if err != nil || info != (manifestInfo{d1, mtOCIManifest, 2}) {
		t.Fatalf("lookup latest: %+v, %v", info, err)
	}
	if _, err := s.lookupManifest(ctx, "ml/y", reference{digest: d1}); err == nil {
		t.Fatal("manifest visible in another repository")
	}
	// A push of the same bytes under another type replaces the record; a
	// push by tag moves the tag.
	m := artifact("", "", "")
	m.mediaType = mtDockerManifest
	if err := s.saveManifest(ctx, "ml/x", d1, 2, m, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.saveManifest(ctx, "ml/x", d2, 3, artifact("", "", ""), []string{"latest"}); err != nil {
		t.Fatal(err)
	}
	if info, _ := s.lookupManifest(ctx, "ml/x", reference{tag: "latest"}); info.digest != d2 {
		t.Fatalf("latest points at %s after the move", info.digest)
	}
	if info, _ := s.lookupManifest(ctx, "ml/x", reference{tag: "v1"}); info.mediaType != mtDockerManifest {
		t.Fatalf("v1: %+v", info)
	}

	if ok, err := s.removeTag(ctx, "ml/x", "v1"); !ok || err != nil {
		t.Fatalf("remove v1: %v, %v", ok, err)
	}
	if ok, _ := s.removeTag(ctx, "ml/x", "v1"); ok {
		t.Fatal("removed v1 twice")
	}
	if _, err := s.lookupManifest(ctx, "ml/x", reference{digest: d1}); err != nil {
		t.Fatalf("deleting a tag deleted its manifest: %v", err)
	}
	if ok, err := s.removeManifest(ctx, "ml/x", d2); !ok || err != nil {
		t.Fatalf("remove d2: %v, %v", ok, err)
	}
	_, err = s.lookupManifest(ctx, "ml/x", reference{tag: "latest"})
	wantCode(t, err, http.StatusNotFound, CodeManifestUnknown)
	if tags, _ := s.tagPage(ctx, "ml/x", "", 10); len(tags) != 0 {
		t.Fatalf("tags %v survive their manifests", tags)
	}
	if ok, _ := s.removeManifest(ctx, "ml/x", d2); ok {
		t.Fatal("removed d2 twice")
	}
}

func TestIndexTagPage(t *testing.T) {
	s, ctx := newIndexServer(t), context.Background()
	tags := []string{"b", "A", "a", "_z", "1.0", "1.0-rc", "Z"}
	if err := s.saveManifest(ctx, "ml/x", digest.FromString("m"), 1, artifact("", "", ""), tags); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(tags)
	slices.Sort(want)
	got, err := s.tagPage(ctx, "ml/x", "", 100)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("tags %v, want %v (%v)", got, want, err)
	}
	got, _ = s.tagPage(ctx, "ml/x", want[2], 2)
	if !slices.Equal(got, want[3:5]) {
		t.Fatalf("page after %q: %v, want %v", want[2], got, want[3:5])
	}
}

func TestIndexReferrerPage(t *testing.T) {
	s, ctx := newIndexServer(t), context.Background()
	subj := digest.FromString("subject")
	var all []string
	for i := range 5 {
		d := digest.FromString(fmt.Sprint("referrer", i))
		at := "application/vnd.example.sbom"
		if i%2 == 1 {
			at = "application/vnd.example.sig"
		}
		ann := fmt.Sprintf(`{"n":"%d"}`, i)
		if err := s.saveManifest(ctx, "ml/x", d, 10, artifact(at, subj, ann), nil); err != nil {
			t.Fatal(err)
		}
		all = append(all, d.String())
	}
	// Not referrers: no subject, another subject, another repository.
	s.saveManifest(ctx, "ml/x", digest.FromString("plain"), 1, artifact("x/y", "", ""), nil)
	s.saveManifest(ctx, "ml/x", digest.FromString("other"), 1, artifact("x/y", digest.FromString("s2"), ""), nil)
	s.saveManifest(ctx, "ml/y", digest.FromString("elsewhere"), 1, artifact("x/y", subj, ""), nil)
	slices.Sort(all)

	page, more, err := s.referrerPage(ctx, "ml/x", subj, "", "", 100, 1<<20)
	if err != nil || more || len(page) != 5 {
		t.Fatalf("page %+v, more %v, err %v", page, more, err)
	}
	for i, r := range page {
		if r.Digest != all[i] || r.MediaType != mtOCIManifest || r.Size != 10 || r.Annotations == nil {
			t.Fatalf("entry %d: %+v", i, r)
		}
	}
	page, _, _ = s.referrerPage(ctx, "ml/x", subj, "application/vnd.example.sig", "", 100, 1<<20)
	if len(page) != 2 || page[0].ArtifactType != "application/vnd.example.sig" {
		t.Fatalf("filtered page %+v", page)
	}
	// Paging by count, then by annotation bytes (but never an empty page).
	page, more, _ = s.referrerPage(ctx, "ml/x", subj, "", all[0], 2, 1<<20)
	if !more || len(page) != 2 || page[0].Digest != all[1] {
		t.Fatalf("page after %s: %+v, more %v", all[0], page, more)
	}
	page, more, _ = s.referrerPage(ctx, "ml/x", subj, "", "", 100, 1)
	if !more || len(page) != 1 {
		t.Fatalf("budget page %+v, more %v", page, more)
	}
}

func TestIndexReferences(t *testing.T) {
	s, ctx := newIndexServer(t), context.Background()
	m, layer := digest.FromString("m"), digest.FromString("layer")
	refs := func(repo string, d digest.Digest) int {
		t.Helper()
		var n int
		if err := s.db.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM manifest_refs WHERE repo = ? AND ref = ?`, repo, d.String()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := s.saveManifest(ctx, "ml/x", m, 1, artifact("", "", "", layer, layer), nil); err != nil {
		t.Fatal(err)
	}
	if refs("ml/x", layer) != 1 || refs("ml/y", layer) != 0 || refs("ml/x", m) != 0 {
		t.Fatal("references not recorded once per manifest and repository")
	}
	s.removeManifest(ctx, "ml/x", m)
	if refs("ml/x", layer) != 0 {
		t.Fatal("references outlive their manifest")
	}
}
