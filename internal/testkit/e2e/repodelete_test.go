package e2e

import (
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepoDelete: ballast repo delete asks for the name, then removes a
// repository with its LFS objects, OCI tags, Git connection and locks;
// garbage collection then frees what only it held, and a blob another
// repository shares stays.
func TestRepoDelete(t *testing.T) {
	requireTools(t, "oras")
	s := startServer(t, "--gc-grace", "0s")
	const repo, other = "ml/doomed", "ml/kept"
	writer := s.createToken(t, "wendy", "ml/*:write")
	admin := []string{"--server", s.url, "--token", s.admin}

	only, onlyOID := randomObject(11, 1<<20)
	shared, sharedOID := randomObject(12, 1<<20)
	s.upload(t, writer, repo, onlyOID, int64(len(only)), bytes.NewReader(only))
	s.upload(t, writer, repo, sharedOID, int64(len(shared)), bytes.NewReader(shared))
	s.upload(t, writer, other, sharedOID, int64(len(shared)), bytes.NewReader(shared))
	e := newOCIEnv(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "model.onnx"), 1<<20)
	e.run(src, "oras", "login", "--plain-http", "-u", "wendy", "-p", writer, s.addr)
	e.run(src, "oras", "push", "--plain-http", s.ref(repo, ":v1"), "model.onnx")
	g := newGit(t)
	if _, err := s.ballast(t, append([]string{"repo", "connect", repo, "--git", g.origin()}, admin...)...); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(ballastBin, append([]string{"repo", "delete", repo}, admin...)...)
	cmd.Env = environ("BALLAST_")
	cmd.Stdin = strings.NewReader("ml/doome\n")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "not deleted") {
		t.Fatalf("repo delete with the wrong name typed: %v\n%s", err, out)
	}
	if out, _ := s.ballast(t, append([]string{"repo", "list"}, admin...)...); !strings.Contains(out, repo) {
		t.Fatalf("a refused delete removed %s:\n%s", repo, out)
	}
	if out, err := s.ballast(t, append([]string{"repo", "delete", repo, "--yes"}, admin...)...); err != nil || !strings.Contains(out, "Deleted "+repo) {
		t.Fatalf("repo delete --yes: %v %s", err, out)
	}

	if out, _ := s.ballast(t, append([]string{"repo", "list"}, admin...)...); strings.Contains(out, repo) || !strings.Contains(out, other) {
		t.Errorf("repo list after the delete:\n%s", out)
	}
	if _, err := s.ballast(t, append([]string{"repo", "show", repo}, admin...)...); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("repo show after the delete: %v, want not connected", err)
	}
	if out, err := e.try(t.TempDir(), "oras", "pull", "--plain-http", s.ref(repo, ":v1")); err == nil {
		t.Errorf("oras pull of a deleted repository's tag succeeded:\n%s", out)
	}
	status, _ := s.batch(t, writer, repo, "download", lfsObject{Oid: onlyOID, Size: int64(len(only))})
	if status != http.StatusNotFound {
		t.Errorf("LFS batch download from the deleted repository: %d, want 404", status)
	}
	if out, err := s.ballast(t, append([]string{"repo", "delete", repo, "--yes"}, admin...)...); err == nil {
		t.Errorf("deleting it again succeeded: %s", out)
	}

	if _, err := s.ballast(t, append([]string{"gc", "--grace", "0s"}, admin...)...); err != nil {
		t.Fatal(err)
	}
	if got, n := s.downloadSHA256(t, writer, other, sharedOID, int64(len(shared))); got != sharedOID || n != int64(len(shared)) {
		t.Errorf("the blob %s shares reads as %d bytes hashing to %s", other, n, got)
	}
	out, err := s.ballast(t, append([]string{"stats", "--json"}, admin...)...)
	if err != nil {
		t.Fatal(err)
	}
	st := decodeJSON[struct {
		Total struct{ Blobs int } `json:"total"`
	}](t, "ballast stats --json", out)
	if st.Total.Blobs != 1 {
		t.Errorf("stats after the delete and GC: %d blobs in the store, want 1 (the shared one; the OCI layers and the other object are gone)\n%s", st.Total.Blobs, out)
	}
}
