package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGitOpsStory is a model's life in Git, end to end: v1 is committed,
// tagged v1.0.0 and pushed (the bytes to ballast over Git LFS, the
// pointers to origin); ballast indexes origin and publishes the tag, and
// `oras pull :v1.0.0` gives back the v1 bytes. v2 becomes v1.1.0 and the
// diff shows the change. A `git revert` tagged v1.1.1 uploads nothing and
// publishes v1's layer again. The provenance of v1's digest names both
// commits and both tags, and the pull log shows who pulled what, through
// OCI and through Git LFS.
func TestGitOpsStory(t *testing.T) {
	s := gitopsServer(t)
	const repo = "ml/story"
	const path = "models/story.onnx"
	ada := s.createToken(t, "ada", repo+":write")
	m := newModelRepo(t, s, repo, "ada", ada)

	// v1.0.0.
	logStart := logSize(t, s)
	v1 := m.commitFile(path, 3<<20+4321, "Story model v1")
	v1Commit := m.head()
	m.g.run(m.work, "tag", "v1.0.0")
	m.push("main", "--tags")
	if ups := lfsUploads(t, s, repo, logStart); len(ups) != 1 || !strings.Contains(ups[0], v1) {
		t.Fatalf("git push of v1.0.0: LFS uploads in the access log %q, want one PUT of %s", ups, v1)
	}

	m.connect()
	out := m.sync()
	if !strings.Contains(out, "Synced "+repo+": 1 new commits") {
		t.Errorf("ballast repo sync after v1.0.0: %q, want 1 new commit", out)
	}
	m1, raw1 := m.waitManifest("v1.0.0", nil)
	assertModelPack(t, m1, v1Commit, "v1.0.0", path, v1, 3<<20+4321)
	manifest1 := digestOf([]byte(raw1))

	t.Run("oras pull v1.0.0", func(t *testing.T) {
		m := m.withT(t)
		dst := t.TempDir()
		m.oci.run(dst, "oras", "pull", "--plain-http", "-o", dst, m.ref("v1.0.0"))
		if got := sha256File(t, filepath.Join(dst, path)); got != v1 {
			t.Errorf("%s after oras pull :v1.0.0: sha256 %s, want v1 %s", path, got, v1)
		}
	})

	t.Run("image form of v1.0.0", func(t *testing.T) {
		m := m.withT(t)
		// models/, the folder holding the model, is the image's /models.
		checkImageForm(t, m, "v1.0.0-image", "story.onnx", v1)
	})

	// v1.1.0.
	v2 := m.commitFile(path, 3<<20+999, "Story model v2")
	v2Commit := m.head()
	m.g.run(m.work, "tag", "v1.1.0")
	m.push("main", "--tags")
	if out := m.sync(); !strings.Contains(out, "1 new commits") {
		t.Errorf("ballast repo sync after v1.1.0: %q, want 1 new commit", out)
	}
	m.waitManifest("v1.1.0", hasLayers("sha256:"+v2))

	t.Run("diff v1.0.0 v1.1.0", func(t *testing.T) {
		m := m.withT(t)
		d := decodeJSON[diffDoc](t, "ballast diff --json", m.mustCLI(ada, "diff", repo, "v1.0.0", "v1.1.0", "--json"))
		if d.From.Commit != v1Commit || d.To.Commit != v2Commit {
			t.Errorf("ballast diff: from %+v to %+v, want commits %s → %s", d.From, d.To, v1Commit, v2Commit)
		}
		if d.Added != 0 || d.Removed != 0 || d.Changed != 1 || len(d.Changes) != 1 {
			t.Fatalf("ballast diff: %d added, %d removed, %d changed, changes %+v; want exactly %s changed", d.Added, d.Removed, d.Changed, d.Changes, path)
		}
		c := d.Changes[0]
		if c.Status != "changed" || c.Path != path || c.Old == nil || c.New == nil ||
			c.Old.Digest != "sha256:"+v1 || c.New.Digest != "sha256:"+v2 ||
			c.Old.Size != 3<<20+4321 || c.New.Size != 3<<20+999 {
			t.Errorf("ballast diff: change %+v (old %+v, new %+v), want %s changed from sha256:%s (%d bytes) to sha256:%s (%d bytes)",
				c, c.Old, c.New, path, v1, 3<<20+4321, v2, 3<<20+999)
		}
		table := m.mustCLI(ada, "diff", repo, "v1.0.0", "v1.1.0")
		if !strings.Contains(table, "0 added, 0 removed, 1 changed") || !strings.Contains(table, path) {
			t.Errorf("ballast diff (table): %q, want the counts and %s", table, path)
		}
	})

	// v1.1.1: the revert brings v1's pointer back; its object is on ballast.
	m.g.run(m.work, "revert", "--no-edit", "HEAD")
	revertCommit := m.head()
	if got := sha256File(t, filepath.Join(m.work, path)); got != v1 {
		t.Fatalf("%s after git revert: sha256 %s, want v1 %s", path, got, v1)
	}
	m.g.run(m.work, "tag", "v1.1.1")
	logStart = logSize(t, s)
	pushOut := m.push("main", "--tags")
	// Zero object bytes: no LFS upload reached the server during the push.
	if ups := lfsUploads(t, s, repo, logStart); len(ups) != 0 {
		t.Errorf("git push of the revert uploaded LFS objects, want zero bytes:\n%s\ngit push:\n%s", strings.Join(ups, "\n"), pushOut)
	}
	// (git-lfs's own progress line is no measure: it counts an object the
	// server already has as done, "100% (1/1), 3.2 MB | 0 B/s".)
	if out := m.sync(); !strings.Contains(out, "1 new commits") {
		t.Errorf("ballast repo sync after v1.1.1: %q, want 1 new commit", out)
	}
	m111, _ := m.waitManifest("v1.1.1", nil)

	t.Run("revert republishes v1's layer", func(t *testing.T) {
		m := m.withT(t)
		m100, _ := m.manifest("v1.0.0")
		if !slices.Equal(layerDigests(m111), layerDigests(m100)) || !slices.Equal(layerDigests(m111), []string{"sha256:" + v1}) {
			t.Errorf("layer digests: v1.1.1 %v, v1.0.0 %v; want both [sha256:%s]", layerDigests(m111), layerDigests(m100), v1)
		}
		if m111.Annotations[revisionKey] != revertCommit || m111.Annotations[versionKey] != "v1.1.1" {
			t.Errorf("v1.1.1 manifest annotations %v, want revision %s and version v1.1.1", m111.Annotations, revertCommit)
		}
	})

	t.Run("which v1", func(t *testing.T) {
		m := m.withT(t)
		w := decodeJSON[digestDoc](t, "ballast which --json", m.mustCLI(ada, "which", v1, "--json"))
		if w.Digest != "sha256:"+v1 {
			t.Errorf("ballast which: digest %q, want sha256:%s", w.Digest, v1)
		}
		// Newest commit first: the revert, then v1. v2's commit does not hold v1.
		if len(w.Occurrences) != 2 {
			t.Fatalf("ballast which %s: %d occurrences %+v, want the revert commit and the v1 commit", v1, len(w.Occurrences), w.Occurrences)
		}
		wantCommits := []string{revertCommit, v1Commit}
		wantTags := []string{"v1.1.1", "v1.0.0"}
		for i, o := range w.Occurrences {
			if o.Repo != repo || o.Path != path || o.Commit.SHA != wantCommits[i] {
				t.Errorf("ballast which: occurrence %d is %s %s@%s, want %s %s@%s", i, o.Repo, o.Path, o.Commit.SHA, repo, path, wantCommits[i])
			}
			if !slices.ContainsFunc(o.Refs, func(r refDoc) bool { return r.Kind == "tag" && r.Name == wantTags[i] }) {
				t.Errorf("ballast which: occurrence %d (%s) has refs %+v, want tag %s", i, o.Commit.SHA, o.Refs, wantTags[i])
			}
			if o.Commit.Author.Name != "E2E Test" || o.Commit.Author.Email != "e2e@example.com" {
				t.Errorf("ballast which: occurrence %d author %+v, want E2E Test <e2e@example.com>", i, o.Commit.Author)
			}
		}
		if len(w.Occurrences) == 2 {
			if rc := w.Occurrences[0].Commit; len(rc.Parents) != 1 || rc.Parents[0] != v2Commit || !strings.HasPrefix(rc.Message, "Revert \"Story model v2\"") {
				t.Errorf("ballast which: revert commit %+v, want parent %s and the revert message", rc, v2Commit)
			}
		}
	})

	t.Run("which v1.0.0's manifest", func(t *testing.T) {
		m := m.withT(t)
		w := decodeJSON[digestDoc](t, "ballast which --json", m.mustCLI(ada, "which", manifest1, "--json"))
		if len(w.Manifests) != 1 || w.Manifests[0].Repo != repo || !slices.Contains(w.Manifests[0].Tags, "v1.0.0") {
			t.Errorf("ballast which %s (the manifest of v1.0.0): manifests %+v, want %s with tag v1.0.0", manifest1, w.Manifests, repo)
		}
		out := m.mustCLI(ada, "which", manifest1)
		if !strings.Contains(out, "OCI MANIFEST IN") || !strings.Contains(out, "v1.0.0") {
			t.Errorf("ballast which %s printed:\n%s", manifest1, out)
		}
	})

	t.Run("git-sha12 tags", func(t *testing.T) {
		m := m.withT(t)
		tags := m.tags()
		for _, want := range []string{"v1.0.0", "v1.0.0-image", "v1.1.0", "v1.1.0-image", "v1.1.1", "v1.1.1-image",
			"git-" + short12(v1Commit), "git-" + short12(v2Commit), "git-" + short12(revertCommit)} {
			if !slices.Contains(tags, want) {
				t.Errorf("oras repo tags: %q, want %s among them", tags, want)
			}
		}
		for _, c := range []struct{ commit, oid string }{{v1Commit, v1}, {v2Commit, v2}, {revertCommit, v1}} {
			cm, _ := m.manifest("git-" + short12(c.commit))
			if !slices.Equal(layerDigests(cm), []string{"sha256:" + c.oid}) || cm.Annotations[revisionKey] != c.commit {
				t.Errorf("git-%s: layers %v, revision %q; want [sha256:%s] and %s", short12(c.commit), layerDigests(cm), cm.Annotations[revisionKey], c.oid, c.commit)
			}
		}
	})

	t.Run("git-sha12 of an untagged commit, on demand", func(t *testing.T) {
		m := m.withT(t)
		// Two commits on a side branch: the first is neither tagged nor a
		// branch tip, so nothing publishes it until it is asked for.
		m.g.run(m.work, "checkout", "-q", "-b", "ondemand")
		t.Cleanup(func() { // leave main and the remote as the story had them
			m.g.run(m.work, "checkout", "-q", "main")
			m.push("--delete", "ondemand")
			m.sync()
		})
		oid := m.commitFile(path, 1<<20, "untagged model")
		sha := m.head()
		m.commitFile(path, 1<<20, "next untagged model")
		m.push("ondemand")
		m.sync()
		if slices.Contains(m.tags(), "git-"+short12(sha)) {
			t.Fatalf("git-%s was published ahead of time; this test needs a commit no ref points at", short12(sha))
		}
		cm, _ := m.manifest("git-" + short12(sha)) // published when first asked for
		if !slices.Equal(layerDigests(cm), []string{"sha256:" + oid}) || cm.Annotations[revisionKey] != sha {
			t.Errorf("git-%s: layers %v, revision %q; want [sha256:%s] and %s", short12(sha), layerDigests(cm), cm.Annotations[revisionKey], oid, sha)
		}
		if _, err := m.tryManifest("git-000000000000"); err == nil {
			t.Error("git-000000000000 (no such commit) was served")
		}
	})

	t.Run("a tag whose objects were never pushed waits, then publishes", func(t *testing.T) {
		m := m.withT(t)
		m.g.run(m.work, "checkout", "-q", "-b", "pending")
		t.Cleanup(func() {
			m.g.run(m.work, "checkout", "-q", "main")
			m.push("--delete", "pending", "v9.9.9")
			m.sync()
		})
		oid := m.commitFile(path, 1<<20, "model whose bytes stay behind")
		m.g.run(m.work, "tag", "v9.9.9")
		if out, err := m.g.try(m.work, []string{"GIT_LFS_SKIP_PUSH=1"}, "push", "-q", "origin", "pending", "v9.9.9"); err != nil {
			t.Fatalf("git push without LFS objects: %v\n%s", err, out)
		}
		m.sync()
		// Both the tag and the branch tip's commit artifact wait for it.
		var pend []pendingDoc
		tagPending := func() bool {
			return slices.ContainsFunc(pend, func(p pendingDoc) bool {
				return p.Tag == "v9.9.9" && slices.Equal(p.Missing, []string{oid})
			})
		}
		for deadline := time.Now().Add(publishTimeout); !tagPending() && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			pend = m.status().Pending
		}
		if !tagPending() {
			t.Fatalf("pending publications %+v, want v9.9.9 missing %s", pend, oid)
		}
		if _, err := m.tryManifest("v9.9.9"); err == nil {
			t.Fatal("v9.9.9 was published without its object")
		}
		m.g.run(m.work, "lfs", "push", "--object-id", "origin", oid) // the object arrives
		cm, _ := m.waitManifest("v9.9.9", nil)
		if !slices.Equal(layerDigests(cm), []string{"sha256:" + oid}) {
			t.Errorf("v9.9.9 layers %v, want [sha256:%s]", layerDigests(cm), oid)
		}
		if p := m.status().Pending; len(p) != 0 {
			t.Errorf("still pending after publication: %+v", p)
		}
	})

	t.Run("ref v1.0.0", func(t *testing.T) {
		r := apiGet[refFilesDoc](t, s, ada, "/api/v1/repos/"+repo+"/refs/v1.0.0")
		if r.Commit.SHA != v1Commit || r.ManifestDigest != manifest1 ||
			len(r.Files) != 1 || r.Files[0] != (fileDoc{Path: path, Digest: "sha256:" + v1, Size: 3<<20 + 4321}) {
			t.Errorf("GET refs/v1.0.0: commit %s, manifest %s, files %+v; want %s, %s and %s sha256:%s",
				r.Commit.SHA, r.ManifestDigest, r.Files, v1Commit, manifest1, path, v1)
		}
	})

	t.Run("pull log", func(t *testing.T) {
		m := m.withT(t)
		// oras pull :v1.0.0 above: the manifest by tag, then the blob.
		adaID := s.tokenOf(t, "ada").ID
		mp := waitPull(t, s, repo, "OCI manifest pull of v1.0.0 by ada", func(p pullDoc) bool {
			return p.Kind == "manifest" && p.Protocol == "oci" && p.User == "ada" && p.Digest == manifest1 &&
				p.Reference == "v1.0.0" && p.Repo == repo
		})
		bp := waitPull(t, s, repo, "OCI blob pull of v1 by ada", func(p pullDoc) bool {
			return p.Kind == "blob" && p.Protocol == "oci" && p.User == "ada" && p.Digest == "sha256:"+v1
		})
		// docs/api.md: token_id is absent for anonymous pulls only.
		for _, p := range []pullDoc{mp, bp} {
			if p.TokenID != adaID {
				t.Errorf("pull log: OCI %s pull by ada (through oras's registry token) has token_id %q, want ada's token %s", p.Kind, p.TokenID, adaID)
			}
		}

		// Someone else clones origin and pulls the model through Git LFS,
		// found by the committed .lfsconfig.
		bob := s.createToken(t, "bob", repo+":read")
		g := newGit(t)
		g.storeCredentials(s, "bob", bob)
		clone := filepath.Join(t.TempDir(), "clone")
		if out, err := g.try(t.TempDir(), []string{"GIT_LFS_SKIP_SMUDGE=1"}, "clone", m.origin, clone); err != nil {
			t.Fatalf("git clone: %v\n%s", err, out)
		}
		g.run(clone, "lfs", "pull")
		if got := sha256File(t, filepath.Join(clone, path)); got != v1 {
			t.Errorf("%s after git lfs pull at v1.1.1: sha256 %s, want v1 %s", path, got, v1)
		}
		lp := waitPull(t, s, repo, "Git LFS pull of v1 by bob", func(p pullDoc) bool {
			return p.Kind == "blob" && p.Protocol == "lfs" && p.User == "bob" && p.Digest == "sha256:"+v1
		})
		if bobID := s.tokenOf(t, "bob").ID; lp.TokenID != bobID {
			t.Errorf("pull log: Git LFS pull by bob has token_id %q, want bob's token %s", lp.TokenID, bobID)
		}
		// The filters of the documented API narrow the log.
		got := apiGet[pullsDoc](t, s, s.admin, "/api/v1/pulls?repo="+repo+"&user=bob&digest="+v1)
		if len(got.Pulls) != 1 || got.Pulls[0].Protocol != "lfs" {
			t.Errorf("GET /api/v1/pulls?user=bob&digest=%s: %+v, want bob's one Git LFS pull", v1, got.Pulls)
		}
	})

	// Last, as it changes what the steps above read: an OCI tag of a Git
	// tag deleted by hand shows as missing, with the commit artifact.
	t.Run("an OCI tag deleted by hand", func(t *testing.T) {
		if r := s.ociDo(t, s.admin, http.MethodDelete, "/v2/"+repo+"/manifests/v1.0.0", nil, nil); r.status != http.StatusAccepted {
			t.Fatalf("DELETE the v1.0.0 tag: %d %s", r.status, r.body)
		}
		_, rawCommit := m.manifest("git-" + v1Commit[:12])
		commitManifest := digestOf([]byte(rawCommit))
		r := apiGet[refFilesDoc](t, s, ada, "/api/v1/repos/"+repo+"/refs/v1.0.0")
		if r.MissingOCITag != "v1.0.0" || r.OCITag != "git-"+v1Commit[:12] || r.ManifestDigest != commitManifest {
			t.Errorf("GET refs/v1.0.0 after its OCI tag was deleted: oci_tag %q, missing_oci_tag %q, manifest %s; want git-%s, v1.0.0, %s",
				r.OCITag, r.MissingOCITag, r.ManifestDigest, v1Commit[:12], commitManifest)
		}
	})
}

// assertModelPack checks a published ModelPack manifest: one raw weight
// layer, the LFS object itself, annotated with its path, and the commit
// and tag in the manifest's annotations.
func assertModelPack(t *testing.T, m modelManifest, commit, tag, path, oid string, size int64) {
	t.Helper()
	if m.MediaType != mtManifest || m.ArtifactType != mtModelManifest || m.Config.MediaType != mtModelConfig {
		t.Errorf("%s: mediaType %q, artifactType %q, config %q; want %s, %s, %s",
			tag, m.MediaType, m.ArtifactType, m.Config.MediaType, mtManifest, mtModelManifest, mtModelConfig)
	}
	want := descriptor{MediaType: mtModelWeight, Digest: "sha256:" + oid, Size: size,
		Annotations: map[string]string{filepathKey: path, titleKey: path}}
	if len(m.Layers) != 1 || !sameDescriptor(m.Layers[0], want) {
		t.Errorf("%s: layers %+v, want one %+v", tag, m.Layers, want)
	}
	if m.Annotations[revisionKey] != commit || m.Annotations[versionKey] != tag {
		t.Errorf("%s: annotations %v, want revision %s and version %s", tag, m.Annotations, commit, tag)
	}
	// The tests' origin is a path on the server's disk: no client could
	// fetch it, and it must not leak into the artifact as its source.
	if src, ok := m.Annotations[sourceKey]; ok {
		t.Errorf("%s: annotation %s = %q for a Git repository on the server's disk, want none", tag, sourceKey, src)
	}
}

// checkImageForm checks the image form published under tag: an OCI image
// manifest with one uncompressed tar layer holding the file at
// models/<inImage> (under the image's /models directory) with the content
// of oid.
func checkImageForm(t *testing.T, m *modelRepo, tag, inImage, oid string) {
	t.Helper()
	im, _ := m.manifest(tag)
	if im.MediaType != mtManifest || im.Config.MediaType != mtConfig || len(im.Layers) != 1 || im.Layers[0].MediaType != mtLayer {
		t.Fatalf("%s: mediaType %q, config %q, layers %+v; want an image manifest, %s, and one %s layer",
			tag, im.MediaType, im.Config.MediaType, im.Layers, mtConfig, mtLayer)
	}
	layer := im.Layers[0]
	blob := m.oci.run(m.t.TempDir(), "oras", "blob", "fetch", "--plain-http", "--output", "-", m.s.ref(m.repo, "@"+layer.Digest))
	if got := digestOf([]byte(blob)); got != layer.Digest || int64(len(blob)) != layer.Size {
		t.Fatalf("%s: layer blob is %d bytes hashing to %s, manifest says %d bytes %s", tag, len(blob), got, layer.Size, layer.Digest)
	}
	want := "models/" + inImage
	found := false
	tr := tar.NewReader(bytes.NewReader([]byte(blob)))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: layer is not a tar: %v", tag, err)
		}
		if strings.HasPrefix(h.Name, "/") || strings.Contains(h.Name, "..") {
			t.Errorf("%s: tar entry %q escapes the image root", tag, h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Name != want {
			t.Errorf("%s: tar holds file %q, want only %q", tag, h.Name, want)
			continue
		}
		found = true
		sum := sha256.New()
		n, err := io.Copy(sum, tr)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(sum.Sum(nil)); got != oid || n != h.Size {
			t.Errorf("%s: %s in the tar: %d bytes, sha256 %s; want %s", tag, want, n, got, oid)
		}
	}
	if !found {
		t.Errorf("%s: tar layer has no file %s", tag, want)
	}
}
