package metrics

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ballastml/ballast/store"
)

// Metrics is the server's metrics registry.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	sent      *prometheus.CounterVec
}

// New returns the metrics of a server whose store's counters stats reads.
func New(stats func() store.Stats) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ballast_http_requests_total",
			Help: "HTTP requests, by protocol (lfs, oci, api, admin, health), method and status code (\"aborted\": the connection was cut mid-answer).",
		}, []string{"protocol", "method", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ballast_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, body included, by protocol and method.",
			Buckets: []float64{.001, .005, .025, .1, .5, 2.5, 10, 60, 300, 1800},
		}, []string{"protocol", "method"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ballast_http_response_bytes_total",
			Help: "Bytes of response bodies sent, by protocol.",
		}, []string{"protocol"}),
	}
	reg.MustRegister(m.requests, m.durations, m.sent,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range []struct {
		name, help string
		get        func(store.Stats) int64
	}{
		{"ballast_store_blobs_stored_total", "New blobs stored (not blobs only linked to another repository).", func(s store.Stats) int64 { return s.BlobsStored }},
		{"ballast_store_bytes_stored_total", "Logical bytes of the new blobs stored.", func(s store.Stats) int64 { return s.BytesStored }},
		{"ballast_store_blobs_staged_total", "Of those, blobs staged raw for the compactor.", func(s store.Stats) int64 { return s.BlobsStaged }},
		{"ballast_store_blobs_compacted_total", "Staged blobs the compactor chunked, deduplicated and packed.", func(s store.Stats) int64 { return s.Compacted }},
		{"ballast_store_pack_bytes_written_total", "Bytes of packs written for them, after dedup and compression.", func(s store.Stats) int64 { return s.PackBytes }},
		{"ballast_store_bytes_read_total", "Bytes read out of the store, verified.", func(s store.Stats) int64 { return s.BytesRead }},
		{"ballast_store_corrupt_chunks_total", "Chunks that failed verification on a read.", func(s store.Stats) int64 { return s.CorruptChunks }},
		{"ballast_store_quarantined_total", "Chunks and staged objects quarantined after failing verification twice, or found missing; the log names the blobs and repositories affected.", func(s store.Stats) int64 { return s.Quarantined }},
		{"ballast_store_healed_total", "Quarantined chunks and staged objects replaced by a fresh copy from an upload.", func(s store.Stats) int64 { return s.Healed }},
		{"ballast_gc_blobs_deleted_total", "Blobs deleted by garbage collection.", func(s store.Stats) int64 { return s.GCBlobs }},
		{"ballast_gc_packs_deleted_total", "Packs deleted by garbage collection.", func(s store.Stats) int64 { return s.GCPacks }},
		{"ballast_gc_bytes_freed_total", "Bytes of the packs garbage collection deleted.", func(s store.Stats) int64 { return s.GCBytesFreed }},
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { return float64(c.get(stats())) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ballast_store_staged_bytes",
		Help: "Bytes of staged uploads not compacted yet, those still being received included: the compactor's backlog.",
	}, func() float64 { return float64(stats().StagedBytes) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ballast_store_upload_memory_bytes",
		Help: "Bytes of upload buffers in use, bounded by --upload-memory; uploads wait while it is full.",
	}, func() float64 { return float64(stats().UploadMemory) }))
	return m
}

// AddDamage exports what damage reports at each scrape: the quarantined
// chunks and staged objects, and the blobs they damage (store.Damage).
func (m *Metrics) AddDamage(damage func(context.Context) (store.Damage, error)) {
	read := func(get func(store.Damage) int64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			dm, err := damage(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(get(dm))
		}
	}
	for _, g := range []struct {
		name, help string
		get        func(store.Damage) int64
	}{
		{"ballast_store_quarantined_chunks", "Chunks quarantined now: stored bytes that failed verification, waiting for an upload to replace them.", func(d store.Damage) int64 { return d.Chunks }},
		{"ballast_store_damaged_blobs", "Blobs that cannot be read now because a chunk or their staged object is quarantined; an upload of any of them repairs it.", func(d store.Damage) int64 { return d.DamagedBlobs }},
	} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help}, read(g.get)))
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records one request served by the route labelled
// protocol (lfs, oci, api, admin, health), answered with status, or aborted
// mid-answer if status is 0 (code "aborted").
func (m *Metrics) ObserveRequest(protocol, method string, status int, bytes int64, d time.Duration) {
	code := "aborted"
	if status != 0 {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(protocol, methodLabel(method), code).Inc()
	m.durations.WithLabelValues(protocol, methodLabel(method)).Observe(d.Seconds())
	m.sent.WithLabelValues(protocol).Add(float64(bytes))
}

// methodLabel keeps the label set bounded: a client can send any method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
