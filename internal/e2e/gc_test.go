package e2e

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// packBytes is the size of the server's pack files.
func (s *server) packBytes(t *testing.T) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(filepath.Join(s.dataDir, "objects", "packs"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGCAfterDelete deletes an image through the OCI API and runs
// `ballast gc --grace 0s`: the packs that held it go, the blobs are gone
// from the API, and the same bytes can be pushed again.
func TestGCAfterDelete(t *testing.T) {
	s := startServer(t)
	repo := "ml/gc"
	keep := s.pushBlob(t, s.admin, "ml/other", randomBytes(1<<20)) // must survive
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := randomBytes(3 << 20)
	s.pushBlob(t, s.admin, repo, config)
	s.pushBlob(t, s.admin, repo, layer)
	m := imageManifest(t, blobDesc(mtConfig, config), []descriptor{blobDesc(mtLayer, layer)}, nil)
	if r := s.putManifest(t, s.admin, repo, "v1", mtManifest, m); r.status != http.StatusCreated {
		t.Fatalf("PUT manifest: %d %.300q", r.status, r.body)
	}
	before := s.packBytes(t)

	for _, path := range []string{
		"/v2/" + repo + "/manifests/" + digestOf(m),
		"/v2/" + repo + "/blobs/" + digestOf(layer),
		"/v2/" + repo + "/blobs/" + digestOf(config),
	} {
		if r := s.ociDo(t, s.admin, http.MethodDelete, path, nil, nil); r.status != http.StatusAccepted {
			t.Fatalf("DELETE %s: %d %.300q", path, r.status, r.body)
		}
	}
	out, err := s.ballast(t, "gc", "--grace", "0s", "--json", "--server", s.url, "--token", s.admin)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Blobs      int   `json:"blobs"`
		Packs      int   `json:"packs"`
		FreedBytes int64 `json:"freed_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("gc --json printed %q: %v", out, err)
	}
	if res.Blobs != 3 || res.Packs == 0 || res.FreedBytes < 3<<20 {
		t.Fatalf("gc removed %+v, want the manifest, config and layer blobs and their packs", res)
	}
	if after := s.packBytes(t); after > before-3<<20 {
		t.Fatalf("packs hold %d bytes after GC, %d before: the 3 MiB layer was not freed", after, before)
	}
	if r := s.ociDo(t, s.admin, http.MethodHead, "/v2/"+repo+"/blobs/"+digestOf(layer), nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("HEAD of the collected layer: %d, want 404", r.status)
	}
	if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/ml/other/blobs/"+keep, nil, nil); r.status != http.StatusOK || len(r.body) != 1<<20 {
		t.Fatalf("GET of a blob of another repository after GC: %d, %d bytes", r.status, len(r.body))
	}
	s.pushBlob(t, s.admin, repo, layer)
	if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/"+repo+"/blobs/"+digestOf(layer), nil, nil); r.status != http.StatusOK || len(r.body) != len(layer) {
		t.Fatalf("GET after pushing the layer again: %d, %d bytes", r.status, len(r.body))
	}
}

// TestMetricsEndpoint: --metrics-addr serves Prometheus metrics that count
// what the server did.
func TestMetricsEndpoint(t *testing.T) {
	addr := freeAddr(t)
	s := startServer(t, "--metrics-addr", addr)
	blob := randomBytes(2 << 20)
	d := s.pushBlob(t, s.admin, "ml/metrics", blob)
	if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/ml/metrics/blobs/"+d, nil, nil); r.status != http.StatusOK {
		t.Fatalf("GET blob: %d", r.status)
	}
	var body string
	for range 50 { // the listener starts with the server, not necessarily before /healthz
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		"ballast_store_blobs_stored_total 1",
		"ballast_store_bytes_stored_total 2.097152e+06",
		"ballast_store_bytes_read_total 2.097152e+06",
		`ballast_http_requests_total{code="201",method="PUT",protocol="oci"} 1`,
		`ballast_http_requests_total{code="200",method="GET",protocol="oci"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}
}
