package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// deploymentTemplate is a Deployment that pulls the model with an oras
// init container (its reference marked for pinning) and mounts the image
// form as an image volume. {{MODEL}} and {{IMAGE}} stand for the two
// references; everything else, comments included, must survive pinning
// byte for byte. The other images are pinned already and must be left
// alone (and not resolved).
const deploymentTemplate = `# The story model, served from ballast.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: story # keep in sync with the Service
spec:
  replicas: 2
  template:
    spec:
      initContainers:
        - name: fetch-model
          # oras pulls the ModelPack artifact into the shared volume.
          image: ghcr.io/oras-project/oras:v1.3.0@sha256:0000000000000000000000000000000000000000000000000000000000000001
          args:
            - pull
            - --plain-http
            - {{MODEL}} # ballast:pin
            - --output
            - /models
      containers:
        - name: server
          image: docker.io/library/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000002
          volumeMounts:
            - {name: weights, mountPath: /weights}
      volumes:
        - name: weights
          image:
            reference: "{{IMAGE}}"   # the -image form
            pullPolicy: IfNotPresent
`

func deployment(model, image string) string {
	return strings.NewReplacer("{{MODEL}}", model, "{{IMAGE}}", image).Replace(deploymentTemplate)
}

// TestPinCheck: a deployment that names a published model by tag fails
// `ballast pin --check`; `ballast pin` rewrites both references to the
// digests the registry reports, keeping the tag for people and every
// comment; `--check` passes afterwards and a second pin changes nothing.
func TestPinCheck(t *testing.T) {
	s := gitopsServer(t)
	const repo = "ml/story"
	writer := s.createToken(t, "ada", repo+":write")
	m := newModelRepo(t, s, repo, "ada", writer)
	oid := m.commitFile("models/story.onnx", 1<<20+7, "Story model v1")
	m.g.run(m.work, "tag", "v1.0.0")
	m.push("main", "--tags")
	m.connect()
	m.sync()
	m.waitManifest("v1.0.0", hasLayers("sha256:"+oid))
	m.waitManifest("v1.0.0-image", nil)

	modelRef, imageRef := m.ref("v1.0.0"), m.ref("v1.0.0-image")
	modelDigest := decodeJSON[descriptor](t, "oras manifest fetch --descriptor",
		m.oci.run(t.TempDir(), "oras", "manifest", "fetch", "--plain-http", "--descriptor", modelRef)).Digest
	imageDigest := decodeJSON[descriptor](t, "oras manifest fetch --descriptor",
		m.oci.run(t.TempDir(), "oras", "manifest", "fetch", "--plain-http", "--descriptor", imageRef)).Digest

	file := filepath.Join(t.TempDir(), "deploy", "deployment.yaml")
	original := deployment(modelRef, imageRef)
	writeFileT(t, file, original)

	// The deployer only reads.
	reader := s.createToken(t, "deployer", repo+":read")

	out, err := m.cli(reader, "pin", "--check", file)
	if err == nil {
		t.Fatalf("ballast pin --check on tag references exited 0:\n%s", out)
	}
	if !strings.Contains(err.Error(), "exit status") {
		t.Fatalf("ballast pin --check: %v, want a non-zero exit", err)
	}
	for _, ref := range []string{modelRef, imageRef} {
		if !strings.Contains(err.Error(), ref) {
			t.Errorf("ballast pin --check: output does not name %s:\n%v", ref, err)
		}
	}
	for _, pinned := range []string{"ghcr.io/oras-project/oras", "busybox"} {
		if strings.Contains(err.Error(), pinned) {
			t.Errorf("ballast pin --check reports %s, which is pinned already:\n%v", pinned, err)
		}
	}
	if got := readFileT(t, file); got != original {
		t.Fatalf("ballast pin --check changed the file:\n%s", got)
	}

	out = m.mustCLI(reader, "pin", file)
	want := deployment(modelRef+"@"+modelDigest, imageRef+"@"+imageDigest)
	if got := readFileT(t, file); got != want {
		t.Fatalf("after ballast pin the file is\n%s\nwant (the references pinned, the rest byte for byte)\n%s\nballast pin printed:\n%s", got, want, out)
	}
	for _, ref := range []string{modelRef, imageRef} {
		if !strings.Contains(out, ref) {
			t.Errorf("ballast pin: output does not report the change of %s:\n%s", ref, out)
		}
	}

	if out, err := m.cli(reader, "pin", "--check", file); err != nil {
		t.Errorf("ballast pin --check after ballast pin: %v\n%s", err, out)
	}
	if _, err := m.cli(reader, "pin", file); err != nil {
		t.Errorf("ballast pin on a pinned file: %v", err)
	}
	if got := readFileT(t, file); got != want {
		t.Errorf("a second ballast pin changed the pinned file:\n%s", got)
	}
}
