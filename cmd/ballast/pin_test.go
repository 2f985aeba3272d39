package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/client/pin/pintest"
)

// runPin runs "ballast pin ARGS" and returns its stdout and stderr. It
// clears the environment pin reads, so only what a test sets is seen.
func runPin(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append([]string{"pin"}, args...))
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func pinEnv(t *testing.T) {
	t.Setenv("BALLAST_URL", "")
	t.Setenv("BALLAST_TOKEN", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPinCheckThenPin is the CI story: --check fails on a tag reference,
// pin pins it, and --check passes.
func TestPinCheckThenPin(t *testing.T) {
	pinEnv(t)
	reg := pintest.New(t)
	reg.Password = "s3cret"
	t.Setenv("BALLAST_TOKEN", "s3cret")
	model := reg.Tag("ml/cat-classifier", "v1.2.0")
	server := reg.Tag("ml/server", "v2")
	dir := t.TempDir()
	deploy := writeFile(t, dir, "deploy/deployment.yaml", `# the server
spec:
  template:
    spec:
      containers:
        - name: server
          image: `+reg.Host+`/ml/server:v2   # keep this comment
      volumes:
        - name: model
          image: {reference: "`+reg.Host+`/ml/cat-classifier:v1.2.0", pullPolicy: IfNotPresent}
`)
	writeFile(t, dir, "deploy/.hidden/ignored.yaml", "image: "+reg.Host+"/ml/server:v1\n")
	writeFile(t, dir, "deploy/notes.txt", "image: "+reg.Host+"/ml/server:v1\n")

	_, errOut, err := runPin(t, "--check", filepath.Join(dir, "deploy"))
	want := deploy + ":7: " + reg.Host + "/ml/server:v2 is not pinned to a digest\n" +
		deploy + ":10: " + reg.Host + "/ml/cat-classifier:v1.2.0 is not pinned to a digest\n"
	if err == nil || errOut != want {
		t.Fatalf("--check: err %v, stderr:\n%s\nwant:\n%s", err, errOut, want)
	}

	out, errOut, err := runPin(t, "--dry-run", deploy)
	if err != nil || !strings.Contains(out, "+          image: "+reg.Host+"/ml/server:v2@"+server.String()+"   # keep this comment\n") {
		t.Fatalf("--dry-run: %v %s\n%s", err, errOut, out)
	}
	if !strings.Contains(readFile(t, deploy), "server:v2   #") {
		t.Fatal("--dry-run changed the file")
	}

	out, errOut, err = runPin(t, filepath.Join(dir, "deploy"))
	if err != nil {
		t.Fatalf("pin: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, deploy+":7: "+reg.Host+"/ml/server:v2 -> "+reg.Host+"/ml/server:v2@"+server.String()+"\n") {
		t.Errorf("pin printed %q", out)
	}
	got := readFile(t, deploy)
	for _, want := range []string{
		"image: " + reg.Host + "/ml/server:v2@" + server.String() + "   # keep this comment\n",
		`image: {reference: "` + reg.Host + "/ml/cat-classifier:v1.2.0@" + model.String() + `", pullPolicy: IfNotPresent}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("pinned file lacks %q:\n%s", want, got)
		}
	}

	if _, errOut, err := runPin(t, "--check", "--verify", filepath.Join(dir, "deploy")); err != nil {
		t.Fatalf("--check after pin: %v\n%s", err, errOut)
	}
}

func TestPinErrorsLeaveFilesUnchanged(t *testing.T) {
	pinEnv(t)
	reg := pintest.New(t)
	reg.Tag("ml/server", "v2")
	dir := t.TempDir()
	unknown := "image: " + reg.Host + "/ml/server:v2\n---\nimage: " + reg.Host + "/ml/server:v9\n"
	bad := "image: " + reg.Host + "/ml/server:v2\nkey: [unclosed\n"
	a := writeFile(t, dir, "unknown.yaml", unknown)
	b := writeFile(t, dir, "bad.yaml", bad)

	_, errOut, err := runPin(t, a, b)
	if err == nil || err.Error() != "2 problems" {
		t.Errorf("err = %v, want 2 problems", err)
	}
	if !strings.Contains(errOut, a+":3: "+reg.Host+"/ml/server:v9: tag not found\n") {
		t.Errorf("stderr lacks the unknown tag:\n%s", errOut)
	}
	if !strings.Contains(errOut, b+":1: invalid YAML: ") { // yaml.v3 reports where the flow sequence opens, off by one
		t.Errorf("stderr lacks the invalid YAML:\n%s", errOut)
	}
	if readFile(t, a) != unknown || readFile(t, b) != bad {
		t.Error("a file with a problem was changed")
	}

	if _, _, err := runPin(t, filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file is not an error")
	}
	if _, _, err := runPin(t, "--username", "ci", a); err == nil {
		t.Error("--username without --password is not an error")
	}
}

func TestPinTokenOnlyForItsServer(t *testing.T) {
	pinEnv(t)
	reg := pintest.New(t)
	reg.Password = "s3cret"
	reg.Tag("ml/server", "v2")
	file := writeFile(t, t.TempDir(), "d.yaml", "image: "+reg.Host+"/ml/server:v2\n")

	_, errOut, err := runPin(t, "--dry-run", "--token", "s3cret", "--server", "https://elsewhere.example.com", file)
	if err == nil || !strings.Contains(errOut, "access denied by "+reg.Host) {
		t.Errorf("token sent to another registry: err %v, stderr %s", err, errOut)
	}
	if _, errOut, err := runPin(t, "--dry-run", "--token", "s3cret", "--server", "http://"+reg.Host, file); err != nil {
		t.Errorf("token not sent to its server: %v %s", err, errOut)
	}
	if _, errOut, err := runPin(t, "--dry-run", "--password", "s3cret", file); err != nil {
		t.Errorf("--password: %v %s", err, errOut)
	}
}

// TestPinSet is the release step: move the model to the new tag and pin it.
func TestPinSet(t *testing.T) {
	pinEnv(t)
	reg := pintest.New(t)
	old := reg.Tag("ml/cat-classifier", "v1.0.0")
	v11 := reg.Tag("ml/cat-classifier", "v1.1.0")
	v11image := reg.Tag("ml/cat-classifier", "v1.1.0-image")
	file := writeFile(t, t.TempDir(), "d.yaml", `args:
  - pull
  - `+reg.Host+`/ml/cat-classifier:v1.0.0@`+old.String()+`  # ballast:pin
volumes:
  - name: model
    image:
      reference: `+reg.Host+`/ml/cat-classifier:v1.0.0-image@`+old.String()+`
`)
	if _, errOut, err := runPin(t, "--set", reg.Host+"/ml/cat-classifier:v1.1.0", file); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	want := `args:
  - pull
  - ` + reg.Host + `/ml/cat-classifier:v1.1.0@` + v11.String() + `  # ballast:pin
volumes:
  - name: model
    image:
      reference: ` + reg.Host + `/ml/cat-classifier:v1.1.0-image@` + v11image.String() + `
`
	if got := readFile(t, file); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range [][]string{{"--set", "nope"}, {"--set", reg.Host + "/ml/x"}, {"--check", "--set", reg.Host + "/ml/x:v1"}} {
		if _, _, err := runPin(t, append(bad, file)...); err == nil {
			t.Errorf("pin %v: no error", bad)
		}
	}
}

// A file that also names a registry that cannot be reached: by default the
// whole file fails and names the image; --skip-unreachable pins the rest
// and warns; --only pins just the named registry's references.
func TestPinWithAnUnreachableRegistry(t *testing.T) {
	pinEnv(t)
	reg := pintest.New(t)
	model := reg.Tag("ml/cat-classifier", "v1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close() // nothing answers there
	dir := t.TempDir()
	content := "a:\n  image: " + reg.Host + "/ml/cat-classifier:v1\nb:\n  image: " + gone + "/other/app:v3\n"
	file := writeFile(t, dir, "deploy.yaml", content)

	_, errOut, err := runPin(t, file)
	if err == nil || !strings.Contains(errOut, gone+"/other/app:v3: cannot reach registry "+gone) || readFile(t, file) != content {
		t.Fatalf("default: err %v, stderr %q; the file must be unchanged", err, errOut)
	}
	_, errOut, err = runPin(t, "--skip-unreachable", file)
	if err != nil || !strings.Contains(errOut, "warning: left unpinned: ") ||
		!strings.Contains(readFile(t, file), "ml/cat-classifier:v1@"+model.String()) || !strings.Contains(readFile(t, file), gone+"/other/app:v3\n") {
		t.Fatalf("--skip-unreachable: err %v, stderr %q, file:\n%s", err, errOut, readFile(t, file))
	}
	writeFile(t, dir, "deploy.yaml", content)
	if _, _, err := runPin(t, "--only", reg.Host, file); err != nil ||
		!strings.Contains(readFile(t, file), "ml/cat-classifier:v1@"+model.String()) || !strings.Contains(readFile(t, file), gone+"/other/app:v3\n") {
		t.Fatalf("--only %s: %v, file:\n%s", reg.Host, err, readFile(t, file))
	}
	if _, errOut, err := runPin(t, "--check", "--only", gone, file); err == nil || strings.Contains(errOut, "cat-classifier") {
		t.Fatalf("--check --only %s: err %v, stderr %q", gone, err, errOut)
	}
}
