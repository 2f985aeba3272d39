package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
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
	body := scrapeMetrics(t, addr)
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

// TestStagedUploadsAreCompacted: large uploads are staged, served while
// staged, and compacted into deduplicated packs; the staged objects go.
func TestStagedUploadsAreCompacted(t *testing.T) {
	addr := freeAddr(t)
	s := startServer(t, "--metrics-addr", addr)
	v1 := randomBytes(24 << 20)
	v2 := append([]byte{}, v1...)
	copy(v2[10<<20:], randomBytes(64<<10)) // a new version: 64 KiB changed
	for _, b := range [][]byte{v1, v2} {
		d := s.pushBlob(t, s.admin, "ml/staged", b)
		if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/ml/staged/blobs/"+d, nil, nil); r.status != http.StatusOK || !bytes.Equal(r.body, b) {
			t.Fatalf("GET of a fresh upload: %d, %d bytes", r.status, len(r.body))
		}
	}
	if body := scrapeMetrics(t, addr); !strings.Contains(body, "ballast_store_blobs_staged_total 2") {
		t.Fatalf("the two 24 MiB uploads were not staged; metrics:\n%s", grepLines(body, "ballast_store_"))
	}
	if _, err := s.ballast(t, "gc", "--compact", "--server", s.url, "--token", s.admin); err != nil {
		t.Fatal(err)
	}
	if n := countFiles(t, filepath.Join(s.dataDir, "objects", "staged")); n != 0 {
		t.Fatalf("%d staged objects left after gc", n)
	}
	// The change costs the chunks around it: at most a few of up to 4 MiB
	// each, far from the second 24 MiB that no dedup would store.
	if packs := s.packBytes(t); packs > 24<<20+3*(4<<20) {
		t.Fatalf("packs hold %d bytes for two 24 MiB versions 64 KiB apart: not deduplicated", packs)
	}
	if body := scrapeMetrics(t, addr); !strings.Contains(body, "ballast_store_blobs_compacted_total 2") ||
		!strings.Contains(body, "ballast_store_staged_bytes 0") {
		t.Fatalf("metrics after gc:\n%s", grepLines(body, "ballast_store_"))
	}
	for _, b := range [][]byte{v1, v2} {
		if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/ml/staged/blobs/"+digestOf(b), nil, nil); r.status != http.StatusOK || !bytes.Equal(r.body, b) {
			t.Fatalf("GET after compaction: %d, %d bytes", r.status, len(r.body))
		}
	}
}

// scrapeMetrics GETs /metrics from addr, retrying while the listener
// starts: it starts with the server, not necessarily before /healthz.
func scrapeMetrics(t *testing.T, addr string) string {
	t.Helper()
	var err error
	for range 50 {
		var resp *http.Response
		if resp, err = http.Get("http://" + addr + "/metrics"); err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil {
				return string(b)
			}
			err = rerr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("GET /metrics: %v", err)
	return ""
}

func grepLines(s, substr string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
