package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pushed is what `oras push|attach --format json` prints.
type pushed struct {
	Reference    string `json:"reference"`
	MediaType    string `json:"mediaType"`
	Digest       string `json:"digest"`
	Size         int64  `json:"size"`
	ArtifactType string `json:"artifactType"`
}

func decodeJSON[T any](t *testing.T, what, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: output is not the expected JSON: %v\n%s", what, err, out)
	}
	return v
}

// TestOras is the model workflow with oras: push a model file with a
// title, pull it elsewhere, read its manifest and tags, attach an
// evaluation report and discover it. Logging in goes through the token
// flow; the rest uses the stored credentials.
func TestOras(t *testing.T) {
	requireTools(t, "oras")
	s := startServer(t)
	const repo = "ml/oras"
	writer := s.createToken(t, "wendy", repo+":write")
	e := newOCIEnv(t)
	src := t.TempDir()
	model := writeRandom(t, filepath.Join(src, "model.onnx"), 3<<20+17)

	out, err := e.try(src, "oras", "login", "--plain-http", "-u", "wendy", "-p", "blst_wrong", s.addr)
	if err == nil {
		t.Errorf("oras login with a wrong token succeeded:\n%s", out)
	}
	out = e.run(src, "oras", "login", "--plain-http", "-u", "wendy", "-p", writer, s.addr)
	if !strings.Contains(out, "Login Succeeded") {
		t.Errorf("oras login: output %q, want Login Succeeded", out)
	}

	out = e.run(src, "oras", "push", "--plain-http", "--format", "json", s.ref(repo, ":v1,latest"), "model.onnx:"+mtONNX)
	manifestDigest := decodeJSON[pushed](t, "oras push --format json", out).Digest

	t.Run("pull", func(t *testing.T) {
		dst := t.TempDir()
		e.run(dst, "oras", "pull", "--plain-http", "-o", dst, s.ref(repo, ":v1"))
		if got := sha256File(t, filepath.Join(dst, "model.onnx")); got != model {
			t.Errorf("model.onnx after oras pull: sha256 %s, want %s", got, model)
		}
	})

	t.Run("manifest fetch", func(t *testing.T) {
		raw := e.run(src, "oras", "manifest", "fetch", "--plain-http", s.ref(repo, ":v1"))
		if got := digestOf([]byte(raw)); got != manifestDigest {
			t.Errorf("oras manifest fetch: bytes hash to %s, oras push reported %s (manifests are stored byte for byte)", got, manifestDigest)
		}
		m := decodeJSON[imageDoc](t, "oras manifest fetch", raw)
		want := descriptor{MediaType: mtONNX, Digest: "sha256:" + model, Size: 3<<20 + 17, Annotations: map[string]string{titleKey: "model.onnx"}}
		if m.MediaType != mtManifest || len(m.Layers) != 1 || !sameDescriptor(m.Layers[0], want) {
			t.Errorf("oras manifest fetch: mediaType %q, layers %+v; want %s and one layer %+v", m.MediaType, m.Layers, mtManifest, want)
		}
		desc := decodeJSON[descriptor](t, "oras manifest fetch --descriptor",
			e.run(src, "oras", "manifest", "fetch", "--plain-http", "--descriptor", s.ref(repo, ":latest")))
		if desc.Digest != manifestDigest || desc.MediaType != mtManifest || desc.Size != int64(len(raw)) {
			t.Errorf("oras manifest fetch --descriptor :latest: %+v, want %s of %d bytes, %s", desc, manifestDigest, len(raw), mtManifest)
		}
	})

	t.Run("repo tags", func(t *testing.T) {
		out := e.run(src, "oras", "repo", "tags", "--plain-http", s.ref(repo, ""))
		if got := lines(out); !slices.Equal(got, []string{"latest", "v1"}) {
			t.Errorf("oras repo tags: %q, want [latest v1] (lexical order)", got)
		}
	})

	t.Run("attach and discover", func(t *testing.T) {
		dir := t.TempDir()
		writeBytes(t, filepath.Join(dir, "eval.json"), []byte(`{"dataset":"val-2026","accuracy":0.931}`))
		out := e.run(dir, "oras", "attach", "--plain-http", "--format", "json", "--artifact-type", mtEval,
			s.ref(repo, ":v1"), "eval.json:application/json")
		report := decodeJSON[pushed](t, "oras attach --format json", out)

		type node struct {
			pushed
			Referrers []node `json:"referrers"`
		}
		for _, filter := range [][]string{nil, {"--artifact-type", mtEval}} {
			args := append([]string{"discover", "--plain-http", "--format", "json"}, filter...)
			root := decodeJSON[node](t, "oras discover --format json", e.run(dir, "oras", append(args, s.ref(repo, ":v1"))...))
			if root.Digest != manifestDigest || len(root.Referrers) != 1 ||
				root.Referrers[0].Digest != report.Digest || root.Referrers[0].ArtifactType != mtEval {
				t.Errorf("oras %s: %+v, want the model %s with one referrer %s of type %s", strings.Join(args, " "), root, manifestDigest, report.Digest, mtEval)
			}
		}
		other := decodeJSON[node](t, "oras discover --format json", e.run(dir, "oras", "discover", "--plain-http", "--format", "json",
			"--artifact-type", "application/vnd.example.other", s.ref(repo, ":v1")))
		if len(other.Referrers) != 0 {
			t.Errorf("oras discover --artifact-type application/vnd.example.other: %+v, want no referrers", other.Referrers)
		}
	})

	t.Run("read-only token cannot push", func(t *testing.T) {
		reader := s.createToken(t, "rhea", repo+":read")
		out, err := e.try(src, "oras", "push", "--plain-http", "-u", "rhea", "-p", reader, s.ref(repo, ":v2"), "model.onnx:"+mtONNX)
		if err == nil {
			t.Errorf("oras push with a read token succeeded:\n%s", out)
		}
		e.run(src, "oras", "manifest", "fetch", "--descriptor", "--plain-http", "-u", "rhea", "-p", reader, s.ref(repo, ":v1"))
	})
}

// imageDoc is the part of an image manifest the tests read.
type imageDoc struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

func sameDescriptor(a, b descriptor) bool {
	return a.MediaType == b.MediaType && a.Digest == b.Digest && a.Size == b.Size && maps.Equal(a.Annotations, b.Annotations)
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var l []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			l = append(l, line)
		}
	}
	return l
}

// TestCraneCopyMount: crane auth login stores the credentials, and crane
// copy between two repositories of the server, with a token that reads the
// source and writes the destination, mounts the blobs instead of uploading
// them again.
func TestCraneCopyMount(t *testing.T) {
	requireTools(t, "oras", "crane")
	s := startServer(t)
	const from, to = "ml/crane-src", "ml/crane-dst"
	e := newOCIEnv(t)
	src := t.TempDir()
	model := writeRandom(t, filepath.Join(src, "model.onnx"), 2<<20)
	e.run(src, "oras", "push", "--plain-http", "-u", "admin", "-p", s.admin, s.ref(from, ":v1"), "model.onnx:"+mtONNX)

	tok := s.createToken(t, "carl", from+":read", to+":write")
	e.run(src, "crane", "auth", "login", s.addr, "-u", "carl", "-p", tok)
	if _, err := os.Stat(filepath.Join(e.home, ".docker", "config.json")); err != nil {
		t.Fatalf("crane auth login stored no credentials: %v", err)
	}
	logStart := logSize(t, s)
	out, err := e.try(src, "crane", "copy", "--insecure", s.ref(from, ":v1"), s.ref(to, ":v1"))
	if err != nil {
		t.Fatalf("crane copy %s → %s: %v\n%s", from, to, err, out)
	}

	srcDigest := strings.TrimSpace(e.run(src, "crane", "digest", "--insecure", s.ref(from, ":v1")))
	dstDigest := strings.TrimSpace(e.run(src, "crane", "digest", "--insecure", s.ref(to, ":v1")))
	if srcDigest == "" || srcDigest != dstDigest {
		t.Errorf("crane digest: %s:v1 is %q, %s:v1 is %q; want the same manifest", from, srcDigest, to, dstDigest)
	}
	blob := filepath.Join(t.TempDir(), "blob")
	e.run(src, "oras", "blob", "fetch", "--plain-http", "--output", blob, s.ref(to, "@sha256:"+model))
	if got := sha256File(t, blob); got != model {
		t.Errorf("blob sha256:%s fetched from %s hashes to %s", model, to, got)
	}

	// The model reached the destination by a mount (POST
	// …/blobs/uploads/?mount=…&from=… answered 201), which crane reports;
	// the access log shows no bytes sent to an upload of the destination.
	if !strings.Contains(out, "mounted blob: sha256:"+model) {
		t.Errorf("crane copy %s → %s did not mount the model blob sha256:%s:\n%s", from, to, model, out)
	}
	for _, l := range logLines(t, s, logStart) {
		if strings.Contains(l, "path=/v2/"+to+"/blobs/uploads/") && (strings.Contains(l, "method=PATCH") || strings.Contains(l, "method=PUT")) {
			t.Errorf("crane copy %s → %s uploaded to the destination instead of mounting: %s", from, to, l)
		}
	}
}

// logSize is the current size of the server's log.
func logSize(t *testing.T, s *server) int64 {
	t.Helper()
	fi, err := os.Stat(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// logLines returns the lines the server logged after offset.
func logLines(t *testing.T, s *server, offset int64) []string {
	t.Helper()
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b[offset:]), "\n")
}

// TestSkopeoLayoutRoundTrip: skopeo login, then skopeo copy of an OCI
// image layout into the server and back out to a directory; manifest and
// blobs come back byte for byte.
func TestSkopeoLayoutRoundTrip(t *testing.T) {
	requireTools(t, "skopeo")
	s := startServer(t)
	const repo = "ml/skopeo"
	tok := s.createToken(t, "sky", repo+":write")
	e := newOCIEnv(t)
	layout := t.TempDir()
	img := writeLayout(t, layout, "v1")
	authfile := filepath.Join(e.home, "auth.json")
	tls := "--tls-verify=false"

	if out, err := e.try(layout, "skopeo", "login", tls, "--authfile", authfile, "-u", "sky", "-p", "blst_wrong", s.addr); err == nil {
		t.Errorf("skopeo login with a wrong token succeeded:\n%s", out)
	}
	e.run(layout, "skopeo", "login", tls, "--authfile", authfile, "-u", "sky", "-p", tok, s.addr)

	e.run(layout, "skopeo", "--policy", e.policy, "copy", "--preserve-digests", "--authfile", authfile,
		"--dest-tls-verify=false", "oci:"+layout+":v1", "docker://"+s.ref(repo, ":v1"))

	raw := e.run(layout, "skopeo", "inspect", "--raw", tls, "--authfile", authfile, "docker://"+s.ref(repo, ":v1"))
	if raw != string(img.manifest) {
		t.Errorf("skopeo inspect --raw: the stored manifest differs from the pushed one:\n%s\nwant\n%s", raw, img.manifest)
	}

	out := filepath.Join(t.TempDir(), "out")
	e.run(layout, "skopeo", "--policy", e.policy, "copy", "--preserve-digests", "--authfile", authfile,
		"--src-tls-verify=false", "docker://"+s.ref(repo, ":v1"), "dir:"+out)
	if b, err := os.ReadFile(filepath.Join(out, "manifest.json")); err != nil || string(b) != string(img.manifest) {
		t.Errorf("skopeo copy to dir: manifest.json %q (%v), want the pushed manifest", b, err)
	}
	for d, content := range img.blobs {
		// The dir transport names a sha256 blob by its hex digits.
		got, err := os.ReadFile(filepath.Join(out, strings.TrimPrefix(d, "sha256:")))
		if err != nil || string(got) != string(content) {
			t.Errorf("skopeo copy to dir: blob %s: %d bytes (%v), want the %d pushed", d, len(got), err, len(content))
		}
	}
}

// layoutImage is what writeLayout wrote: the manifest and every blob it
// references, by digest.
type layoutImage struct {
	manifest []byte
	blobs    map[string][]byte
}

// writeLayout writes an OCI image layout to dir holding one image, tagged
// tag: a gzipped tar layer with a random model.onnx and its config.
// Reference: image-spec image-layout.md.
func writeLayout(t *testing.T, dir, tag string) layoutImage {
	t.Helper()
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	model := randomBytes(1 << 20)
	tw.WriteHeader(&tar.Header{Name: "model.onnx", Mode: 0o644, Size: int64(len(model)), Typeflag: tar.TypeReg})
	tw.Write(model)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	zw := gzip.NewWriter(&layer)
	zw.Write(tarball.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	config := []byte(`{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["` + digestOf(tarball.Bytes()) + `"]}}`)
	manifest := imageManifest(t, blobDesc(mtConfig, config),
		[]descriptor{blobDesc("application/vnd.oci.image.layer.v1.tar+gzip", layer.Bytes())}, nil)
	img := layoutImage{manifest: manifest, blobs: map[string][]byte{
		digestOf(config): config, digestOf(layer.Bytes()): layer.Bytes(),
	}}

	md := blobDesc(mtManifest, manifest)
	md.Annotations = map[string]string{"org.opencontainers.image.ref.name": tag}
	index, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mtIndex, "manifests": []descriptor{md}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"index.json": index,
	}
	for _, b := range [][]byte{config, layer.Bytes(), manifest} {
		files[filepath.Join("blobs", "sha256", strings.TrimPrefix(digestOf(b), "sha256:"))] = b
	}
	for name, b := range files {
		writeBytes(t, filepath.Join(dir, name), b)
	}
	return img
}
