package benchkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// startNull starts a NullServer that serves content as a registered file
// and returns it with the file's digest.
func startNull(t *testing.T, content []byte) (*NullServer, string) {
	t.Helper()
	s, err := StartNullServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	path := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	s.AddFile(digest, path, int64(len(content)))
	return s, digest
}

// do sends one request and returns the status and the body.
func do(t *testing.T, method, url, ctype string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestNullServerLFS(t *testing.T) {
	content := bytes.Repeat([]byte("model "), maxKept) // larger than maxKept: discarded
	s, digest := startNull(t, content)
	oid := strings.TrimPrefix(digest, "sha256:")
	batch := func(op string) []lfsObject {
		body := `{"operation":"` + op + `","objects":[{"oid":"` + oid + `","size":1},{"oid":"` + strings.Repeat("0", 64) + `","size":1}]}`
		code, h, b := do(t, http.MethodPost, s.URL+"/m/x.git/info/lfs/objects/batch", lfsMediaType, []byte(body))
		if code != http.StatusOK || h.Get("Content-Type") != lfsMediaType {
			t.Fatalf("batch %s: %d %s %s", op, code, h.Get("Content-Type"), b)
		}
		var resp struct{ Objects []lfsObject }
		if err := json.Unmarshal(b, &resp); err != nil || len(resp.Objects) != 2 {
			t.Fatalf("batch %s: %s (%v)", op, b, err)
		}
		return resp.Objects
	}
	up := batch("upload")
	href := up[0].Actions["upload"].Href
	if href != s.URL+"/m/x.git/info/lfs/objects/"+oid || up[1].Actions["upload"].Href == "" {
		t.Fatalf("upload actions: %+v", up)
	}
	if code, _, b := do(t, http.MethodPut, href, "", content); code != http.StatusOK {
		t.Fatalf("PUT: %d %s", code, b)
	}
	if code, _, _ := do(t, http.MethodPut, href, "", content[1:]); code != http.StatusBadRequest {
		t.Fatalf("PUT of a short body: %d, want 400", code)
	}
	down := batch("download")
	if down[0].Actions["download"].Href != href || down[1].Error == nil || down[1].Error.Code != http.StatusNotFound {
		t.Fatalf("download: %+v", down)
	}
	if code, _, b := do(t, http.MethodGet, href, "", nil); code != http.StatusOK || !bytes.Equal(b, content) {
		t.Fatalf("GET: %d, %d bytes", code, len(b))
	}
}

func TestNullServerOCI(t *testing.T) {
	content := []byte("weights")
	s, digest := startNull(t, content)
	blob := s.URL + "/v2/m/x/blobs/" + digest
	if code, _, _ := do(t, http.MethodGet, s.URL+"/v2/", "", nil); code != http.StatusOK {
		t.Fatalf("GET /v2/: %d", code)
	}
	if code, _, _ := do(t, http.MethodHead, blob, "", nil); code != http.StatusNotFound {
		t.Fatalf("HEAD before the upload: %d, want 404", code)
	}
	code, h, _ := do(t, http.MethodPost, s.URL+"/v2/m/x/blobs/uploads/", "", nil)
	if code != http.StatusAccepted || h.Get("Location") == "" {
		t.Fatalf("POST uploads: %d, Location %q", code, h.Get("Location"))
	}
	put := s.URL + h.Get("Location") + "?digest=" + digest
	if code, _, b := do(t, http.MethodPut, put, "", content); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, b)
	}
	if code, h, _ := do(t, http.MethodHead, blob, "", nil); code != http.StatusOK || h.Get("Docker-Content-Digest") != digest {
		t.Fatalf("HEAD after the upload: %d %v", code, h)
	}
	if code, _, b := do(t, http.MethodGet, blob, "", nil); code != http.StatusOK || !bytes.Equal(b, content) {
		t.Fatalf("GET: %d %q", code, b)
	}

	manifest := []byte(`{"schemaVersion":2, "layers":[]}`)
	const ctype = "application/vnd.oci.image.manifest.v1+json"
	code, h, b := do(t, http.MethodPut, s.URL+"/v2/m/x/manifests/v1", ctype, manifest)
	if code != http.StatusCreated {
		t.Fatalf("PUT manifest: %d %s", code, b)
	}
	for _, ref := range []string{"v1", h.Get("Docker-Content-Digest")} {
		code, h, b := do(t, http.MethodGet, s.URL+"/v2/m/x/manifests/"+ref, "", nil)
		if code != http.StatusOK || h.Get("Content-Type") != ctype || !bytes.Equal(b, manifest) {
			t.Fatalf("GET manifest %s: %d %s %q", ref, code, h.Get("Content-Type"), b)
		}
	}
}
