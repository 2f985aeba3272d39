package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/server/metrics"
	"github.com/ballastml/ballast/store"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	stats := store.Stats{BlobsStored: 2, BytesStored: 3 << 20, BlobsStaged: 1, Compacted: 3, StagedBytes: 9, PackBytes: 1 << 20, BytesRead: 42, CorruptChunks: 1, GCBlobs: 5, GCPacks: 6, GCBytesFreed: 7,
		Quarantined: 4, Healed: 3, UploadMemory: 8 << 20}
	m := metrics.New(func() store.Stats { return stats })
	m.AddDamage(func(context.Context) (store.Damage, error) {
		return store.Damage{Chunks: 2, StagedBlobs: 1, DamagedBlobs: 5}, nil
	})
	m.ObserveRequest("lfs", http.MethodPut, 200, 0, 2*time.Second)
	m.ObserveRequest("oci", http.MethodGet, 200, 1000, time.Millisecond)
	m.ObserveRequest("oci", http.MethodGet, 0, 500, time.Millisecond)
	m.ObserveRequest("api", "BREW", 405, 10, time.Millisecond)
	m.ObserveRequest("admin", http.MethodPost, 200, 10, time.Millisecond)
	out := scrape(t, m)
	for _, want := range []string{
		`ballast_http_requests_total{code="200",method="PUT",protocol="lfs"} 1`,
		`ballast_http_requests_total{code="200",method="GET",protocol="oci"} 1`,
		`ballast_http_requests_total{code="aborted",method="GET",protocol="oci"} 1`,
		`ballast_http_requests_total{code="405",method="other",protocol="api"} 1`,
		`ballast_http_requests_total{code="200",method="POST",protocol="admin"} 1`,
		`ballast_http_response_bytes_total{protocol="oci"} 1500`,
		`ballast_http_request_duration_seconds_count{method="PUT",protocol="lfs"} 1`,
		`ballast_store_blobs_stored_total 2`,
		`ballast_store_bytes_stored_total 3.145728e+06`,
		`ballast_store_pack_bytes_written_total 1.048576e+06`,
		`ballast_store_blobs_staged_total 1`,
		`ballast_store_blobs_compacted_total 3`,
		`ballast_store_staged_bytes 9`,
		`ballast_store_bytes_read_total 42`,
		`ballast_store_corrupt_chunks_total 1`,
		`ballast_gc_blobs_deleted_total 5`,
		`ballast_gc_packs_deleted_total 6`,
		`ballast_gc_bytes_freed_total 7`,
		`ballast_store_quarantined_total 4`,
		`ballast_store_healed_total 3`,
		`ballast_store_upload_memory_bytes 8.388608e+06`,
		`ballast_store_quarantined_chunks 2`,
		`ballast_store_damaged_blobs 5`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	stats.BytesRead = 100 // counters are read at each scrape
	if out := scrape(t, m); !strings.Contains(out, "ballast_store_bytes_read_total 100") {
		t.Error("a second scrape did not read the store's counters again")
	}
}
