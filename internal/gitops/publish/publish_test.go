package publish

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ballastml/ballast/internal/client/push"
	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
)

func TestPublishTag(t *testing.T) {
	e := newEnv(t)
	weights, tok := newModel("weights v1"), newModel(`{"vocab":1}`)
	e.upload(weights)
	e.upload(tok)
	e.git.Write("README.md", "not in LFS\n")
	sha := e.commit("v1", map[string]model{"models/model.safetensors": weights, "models/tokenizer.json": tok})
	e.git.Git("tag", "v1.0.0")
	if _, err := e.idx.Sync(e.ctx, repo); err != nil {
		t.Fatal(err)
	}

	res, err := e.pub.PublishRef(e.ctx, repo, "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if res.Tag != "v1.0.0" || res.Mapped || res.Commit != sha || res.Files != 2 || res.CommitTag != "git-"+sha[:12] {
		t.Fatalf("result %+v", res)
	}
	d := e.resolve("v1.0.0")
	if d != res.Manifest {
		t.Fatalf("tag points to %s, result says %s", d, res.Manifest)
	}
	m := e.manifest(d)
	if m.ArtifactType != modelpack.ArtifactType || m.Config.MediaType != modelpack.MediaTypeConfig {
		t.Fatalf("artifactType %q, config %s", m.ArtifactType, m.Config.MediaType)
	}
	want := map[string]digest.Digest{"models/model.safetensors": weights.digest(), "models/tokenizer.json": tok.digest()}
	if got := e.layerDigests(d); !maps.Equal(got, want) {
		t.Fatalf("layers %v, want the LFS oids %v", got, want)
	}
	ann := m.Annotations
	if ann[ocispec.AnnotationRevision] != sha || ann[ocispec.AnnotationVersion] != "v1.0.0" ||
		ann[ocispec.AnnotationCreated] != "2026-01-01T00:01:00Z" {
		t.Errorf("annotations %v", ann)
	}
	var cfg struct {
		Descriptor struct{ Name, Version, Revision string }
		ModelFS    struct{ DiffIDs []digest.Digest } `json:"modelfs"`
	}
	if err := json.Unmarshal(e.blob(m.Config.Digest), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Descriptor.Name != repo || cfg.Descriptor.Revision != sha || len(cfg.ModelFS.DiffIDs) != 2 {
		t.Errorf("config %+v", cfg)
	}

	// The commit's own artifact: same layers, no version.
	cd := e.resolve(res.CommitTag)
	if cd != res.CommitManifest || cd == d {
		t.Fatalf("commit tag %s, result %s, tag %s", cd, res.CommitManifest, d)
	}
	if cm := e.manifest(cd); cm.Annotations[ocispec.AnnotationVersion] != "" || !maps.Equal(e.layerDigests(cd), want) {
		t.Errorf("commit artifact %+v", cm)
	}

	// Publishing again changes nothing.
	again, err := e.pub.PublishRef(e.ctx, repo, "v1.0.0")
	if err != nil || !again.UpToDate || again.Manifest != d || again.Image != res.Image {
		t.Fatalf("republish: %+v, %v", again, err)
	}
}

func TestPublishImage(t *testing.T) {
	e := newEnv(t)
	weights, tok := newModel("weights v1 "+string(make([]byte, 3000))), newModel(`{"vocab":1}`)
	e.upload(weights)
	e.upload(tok)
	e.commit("v1", map[string]model{"models/deep/dir/model.safetensors": weights, "models/tokenizer.json": tok})
	e.git.Git("tag", "v1")
	if _, err := e.idx.Sync(e.ctx, repo); err != nil {
		t.Fatal(err)
	}
	res, err := e.pub.PublishRef(e.ctx, repo, "v1")
	if err != nil {
		t.Fatal(err)
	}
	d := e.resolve("v1-image")
	if d != res.Image || res.ImageTag != "v1-image" {
		t.Fatalf("image tag %s, result %+v", d, res)
	}
	m := e.manifest(d)
	var cfg ocispec.Image
	if err := json.Unmarshal(e.blob(m.Config.Digest), &cfg); err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != ocispec.MediaTypeImageConfig || len(cfg.RootFS.DiffIDs) != len(m.Layers) || cfg.OS != "linux" {
		t.Fatalf("config %s: %+v", m.Config.MediaType, cfg)
	}
	// The model's folder, models/, is the image's /models.
	checkImageLayers(t, e, m, cfg, map[string][]byte{
		"models/deep/dir/model.safetensors": weights.content,
		"models/tokenizer.json":             tok.content,
	})

	// Image root "/" keeps the Git paths; an explicit root keeps only the
	// files under it.
	for root, want := range map[string]map[string][]byte{
		"/":           {"models/models/deep/dir/model.safetensors": weights.content, "models/models/tokenizer.json": tok.content},
		"models/deep": {"models/dir/model.safetensors": weights.content},
	} {
		if err := e.idx.Connect(e.ctx, repo, gitindex.Source{URL: e.git.Dir, ImageRoot: root}); err != nil {
			t.Fatal(err)
		}
		if err := e.reg.DeleteTag(e.ctx, repo, "v1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.pub.PublishRef(e.ctx, repo, "v1"); err != nil {
			t.Fatal(err)
		}
		m := e.manifest(e.resolve("v1-image"))
		if err := json.Unmarshal(e.blob(m.Config.Digest), &cfg); err != nil {
			t.Fatal(err)
		}
		t.Logf("image root %q", root)
		checkImageLayers(t, e, m, cfg, want)
	}
}

// checkImageLayers checks that the layers of image m place exactly the
// files of contents, by in-image path.
func checkImageLayers(t *testing.T, e *env, m ocispec.Manifest, cfg ocispec.Image, contents map[string][]byte) {
	t.Helper()
	for i, l := range m.Layers {
		b := e.blob(l.Digest)
		if digest.FromBytes(b) != l.Digest || int64(len(b)) != l.Size || cfg.RootFS.DiffIDs[i] != l.Digest {
			t.Fatalf("layer %d: %d bytes hashing to %s, descriptor %+v", i, len(b), digest.FromBytes(b), l)
		}
		if l.MediaType != ocispec.MediaTypeImageLayer {
			t.Errorf("layer media type %s", l.MediaType)
		}
		name, content := readTarFile(t, b)
		if want, ok := contents[name]; !ok || !bytes.Equal(content, want) {
			t.Errorf("layer %d holds %s (%d bytes)", i, name, len(content))
		}
		delete(contents, name)
	}
	for name := range contents {
		t.Errorf("%s is missing from the image", name)
	}
}

// readTarFile returns the one regular file of a tar layer.
func readTarFile(t *testing.T, layer []byte) (string, []byte) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(layer))
	var name string
	var content []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return name, content
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if name != "" {
				t.Fatalf("two files in one layer: %s, %s", name, h.Name)
			}
			name = h.Name
			if content, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPendingTagPublishedWhenObjectsArrive(t *testing.T) {
	e := newEnv(t)
	weights, tok := newModel("weights pushed late"), newModel(`{"tok":2}`)
	e.upload(tok)
	sha := e.commit("v1", map[string]model{"models/model.bin": weights, "models/tokenizer.json": tok})
	e.git.Git("tag", "v1")
	e.sync()

	// The tag, and the commit artifact of the branch tip ("" sorts first).
	pending := e.waitPending(2)
	for i, tag := range []string{"", "v1"} {
		p := pending[i]
		if p.Tag != tag || p.Commit != sha || len(p.Missing) != 1 || p.Missing[0] != weights.oid {
			t.Fatalf("pending %+v", pending)
		}
	}
	if _, err := e.reg.ResolveTag(e.ctx, repo, "v1"); !errors.Is(err, oci.ErrUnknown) {
		t.Fatalf("a tag with missing objects was published: %v", err)
	}
	res, err := e.pub.PublishRef(e.ctx, repo, "v1")
	if !errors.Is(err, ErrPending) || len(res.Missing) != 1 {
		t.Fatalf("PublishRef of a pending tag: %+v, %v", res, err)
	}

	e.upload(weights)
	d := e.eventually("v1", "")
	if got := e.layerDigests(d)["models/model.bin"]; got != weights.digest() {
		t.Fatalf("layer %s, want %s", got, weights.digest())
	}
	e.eventually("v1-image", "")
	if p, _ := e.pub.Pending(e.ctx, repo); len(p) != 0 {
		t.Fatalf("still pending after publication: %+v", p)
	}
}

// TestPendingTagPublishedWhenObjectsArriveElsewhere: an object linked
// through another replica (another store on the same database and
// backend, which does not tell this publisher) completes a pending
// publication once RecheckPending looks.
func TestPendingTagPublishedWhenObjectsArriveElsewhere(t *testing.T) {
	e := newEnv(t)
	weights := newModel("weights pushed through another replica")
	e.commit("v1", map[string]model{"models/model.bin": weights})
	e.git.Git("tag", "v1")
	e.sync()
	e.waitPending(2)

	other, err := store.New(e.backend, e.db, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Put(e.ctx, repo, weights.digest(), int64(len(weights.content)), bytes.NewReader(weights.content)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if p, _ := e.pub.Pending(e.ctx, repo); len(p) != 2 {
		t.Fatalf("pending before the recheck: %+v, want both still waiting (nothing told this publisher)", p)
	}
	e.pub.RecheckPending(e.ctx)
	e.eventually("v1", "")
	if p, _ := e.pub.Pending(e.ctx, repo); len(p) != 0 {
		t.Fatalf("still pending after the recheck: %+v", p)
	}
}

// waitPending waits until n publications are pending and returns them.
func (e *env) waitPending(n int) []PendingTag {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := e.pub.Pending(e.ctx, repo)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(p) >= n {
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("fewer than %d publications pending", n)
	return nil
}

func TestMovedAndDeletedTags(t *testing.T) {
	e := newEnv(t)
	v1, v2 := newModel("model one"), newModel("model two")
	e.upload(v1)
	e.upload(v2)
	first := e.commit("one", map[string]model{"models/m.onnx": v1})
	e.git.Git("tag", "stable")
	e.sync()
	d1 := e.eventually("stable", "")
	img1 := e.eventually("stable-image", "")
	e.eventually("git-"+first[:12], "")

	second := e.commit("two", map[string]model{"models/m.onnx": v2})
	e.git.Git("tag", "-f", "stable")
	e.sync()
	d2 := e.eventually("stable", d1)
	if got := e.layerDigests(d2)["models/m.onnx"]; got != v2.digest() {
		t.Fatalf("moved tag has layer %s, want %s", got, v2.digest())
	}
	e.eventually("stable-image", img1)
	e.eventually("git-"+second[:12], "") // the branch tip

	e.git.Git("tag", "-d", "stable")
	e.sync()
	e.eventuallyGone("stable")
	e.eventuallyGone("stable-image")
	// Commits stay addressable.
	e.resolve("git-" + first[:12])
	e.resolve("git-" + second[:12])
}

func TestRevertRepublishesSameLayers(t *testing.T) {
	e := newEnv(t)
	v1, v2, cfg := newModel("weights one"), newModel("weights two"), newModel(`{"c":1}`)
	for _, m := range []model{v1, v2, cfg} {
		e.upload(m)
	}
	e.commit("v1", map[string]model{"models/w.safetensors": v1, "models/config.json": cfg})
	e.git.Git("tag", "v1.0.0")
	e.commit("v2", map[string]model{"models/w.safetensors": v2})
	e.git.Git("tag", "v1.1.0")
	e.git.Tick()
	e.git.Git("revert", "--no-edit", "HEAD")
	e.git.Git("tag", "v1.1.1")
	e.sync()

	a, b, c := e.eventually("v1.0.0", ""), e.eventually("v1.1.0", ""), e.eventually("v1.1.1", "")
	if !maps.Equal(e.layerDigests(a), e.layerDigests(c)) {
		t.Errorf("revert: layers %v, want %v", e.layerDigests(c), e.layerDigests(a))
	}
	if maps.Equal(e.layerDigests(a), e.layerDigests(b)) {
		t.Error("v1.1.0 has the layers of v1.0.0")
	}
	if a == c {
		t.Error("two versions share a manifest")
	}
	// The image layers are a function of path and content, so the revert
	// gets v1's image layers too, and the unchanged config keeps its layer
	// in every version.
	ia, ib, ic := e.eventually("v1.0.0-image", ""), e.eventually("v1.1.0-image", ""), e.eventually("v1.1.1-image", "")
	if !maps.Equal(e.layerDigests(ia), e.layerDigests(ic)) {
		t.Errorf("revert: image layers %v, want %v", e.layerDigests(ic), e.layerDigests(ia))
	}
	if e.layerDigests(ia)["models/config.json"] != e.layerDigests(ib)["models/config.json"] {
		t.Error("an unchanged file got a new image layer")
	}
}

func TestMappedTagAndPattern(t *testing.T) {
	e := newEnv(t)
	if err := e.idx.Connect(e.ctx, repo, gitindex.Source{URL: e.git.Dir, TagPattern: "release/*"}); err != nil {
		t.Fatal(err)
	}
	m := newModel("mapped")
	e.upload(m)
	e.commit("one", map[string]model{"models/m.gguf": m})
	e.git.Git("tag", "release/v1+build")
	e.git.Git("tag", "experiment")
	e.sync()
	d := e.eventually("release-v1-build", "")
	e.eventually("release-v1-build-image", "")
	// The pattern leaves "experiment" out; PublishRef publishes it anyway.
	if _, err := e.reg.ResolveTag(e.ctx, repo, "experiment"); !errors.Is(err, oci.ErrUnknown) {
		t.Fatalf("a tag outside the pattern was published: %v", err)
	}
	res, err := e.pub.PublishRef(e.ctx, repo, "release/v1+build")
	if err != nil || !res.Mapped || res.Tag != "release-v1-build" || res.Manifest != d || !res.UpToDate {
		t.Fatalf("PublishRef = %+v, %v", res, err)
	}
	if res, err := e.pub.PublishRef(e.ctx, repo, "experiment"); err != nil || res.Tag != "experiment" {
		t.Fatalf("PublishRef(experiment) = %+v, %v", res, err)
	}
	if v := e.manifest(d).Annotations[ocispec.AnnotationVersion]; v != "release/v1+build" {
		t.Errorf("version annotation %q, want the Git tag", v)
	}
}

func TestPathFilter(t *testing.T) {
	e := newEnv(t)
	if err := e.idx.Connect(e.ctx, repo, gitindex.Source{URL: e.git.Dir, PathFilter: "models/**"}); err != nil {
		t.Fatal(err)
	}
	in, out := newModel("kept"), newModel("left out")
	e.upload(in) // "out" is never uploaded: filtered files are not waited for
	e.git.Write(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n")
	e.commit("one", map[string]model{"models/a.bin": in, "data/b.bin": out})
	e.git.Git("tag", "v1")
	e.sync()
	d := e.eventually("v1", "")
	if got := e.layerDigests(d); len(got) != 1 || got["models/a.bin"] != in.digest() {
		t.Fatalf("layers %v", got)
	}
}

func TestReconcileAfterRestart(t *testing.T) {
	e := newEnv(t)
	m := newModel("late")
	e.commit("one", map[string]model{"models/m.bin": m})
	e.git.Git("tag", "v1")
	e.sync()
	e.waitPending(1)

	// A new publisher knows nothing pending until it reconciles.
	e.pub = e.newPublisher()
	if err := e.pub.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.waitPending(2) // the tag and the branch tip's commit artifact
	e.upload(m)
	e.eventually("v1", "")
}

// The server and `ballast publish` build the same artifact for a commit.
func TestSameArtifactAsPublishCommand(t *testing.T) {
	e := newEnv(t)
	a, b := newModel("a"), newModel("b")
	e.upload(a)
	e.upload(b)
	e.commit("one", map[string]model{"models/a.safetensors": a, "models/sub/b.json": b})
	e.git.Git("tag", "v1")
	if _, err := e.idx.Sync(e.ctx, repo); err != nil {
		t.Fatal(err)
	}
	res, err := e.pub.PublishRef(e.ctx, repo, "v1")
	if err != nil {
		t.Fatal(err)
	}
	co, err := push.OpenCheckout(e.git.Dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := co.Commit("v1")
	if err != nil {
		t.Fatal(err)
	}
	art, err := modelpack.ModelPack(c.Select(""), c.Metadata(repo, co.SourceURL()))
	if err != nil {
		t.Fatal(err)
	}
	if art.Descriptor.Digest != res.Manifest || !bytes.Equal(art.Manifest, e.blob(res.Manifest)) {
		t.Fatalf("ballast publish builds %s, the server published %s", art.Descriptor.Digest, res.Manifest)
	}
}
