package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/server/metrics"
	"github.com/ballastml/ballast/store"
)

func TestRouterRejectsUncleanPaths(t *testing.T) {
	reached := false
	h := NewRouter(Routes{
		Admin: http.NotFoundHandler(),
		LFS:   http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }),
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	for _, p := range []string{"/../x.git/info/lfs/objects/batch", "/ml/./x.git/info/lfs/locks",
		"/ml//x.git/info/lfs/locks", "/ml/x/..", "/ml/%2e%2e/x.git/info/lfs/locks"} {
		req := httptest.NewRequest(http.MethodPost, "http://ballast"+p, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || reached {
			t.Errorf("%s: status %d (reached handler: %v), want 400", p, rec.Code, reached)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "http://ballast/ml/x.git/info/lfs/locks", nil))
	if !reached {
		t.Error("a clean LFS path did not reach the LFS handler")
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://ballast/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz: %d", rec.Code)
	}
}

func TestRouterSendsV2PathsToRegistryUncleaned(t *testing.T) {
	var got []string
	h := NewRouter(Routes{
		Admin: http.NotFoundHandler(),
		LFS:   http.NotFoundHandler(),
		OCI:   http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = append(got, r.URL.Path) }),
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	paths := []string{"/v2/", "/v2/ml/../x/blobs/uploads/", "/v2/ml//x/tags/list", "/auth/token"}
	for _, p := range paths {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://ballast"+p, nil))
	}
	if len(got) != len(paths) {
		t.Fatalf("registry saw %q, want %q", got, paths)
	}
	for i := range paths {
		if got[i] != paths[i] {
			t.Errorf("registry saw %q, want %q", got[i], paths[i])
		}
	}
}

// TestRouterRecordsMetrics: every request, including one whose handler
// wrote nothing (net/http sent 200) and one that was aborted mid-answer,
// is counted under its protocol.
func TestRouterRecordsMetrics(t *testing.T) {
	m := metrics.New(func() store.Stats { return store.Stats{} })
	h := NewRouter(Routes{
		Admin: http.NotFoundHandler(),
		LFS:   http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}),
		OCI: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("part of a blob"))
			panic(http.ErrAbortHandler)
		}),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: m,
	})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "http://ballast/ml/x.git/info/lfs/locks", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://ballast/healthz", nil))
	func() {
		defer func() { recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://ballast/v2/ml/x/blobs/sha256:ab", nil))
	}()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`ballast_http_requests_total{code="200",method="POST",protocol="lfs"} 1`,
		`ballast_http_requests_total{code="200",method="GET",protocol="health"} 1`,
		`ballast_http_requests_total{code="aborted",method="GET",protocol="oci"} 1`,
		`ballast_http_response_bytes_total{protocol="oci"} 14`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Every request is counted under the protocol label of the route it took.
func TestRouterLabelsRoutes(t *testing.T) {
	for path, want := range map[string]string{
		"/v2":                              "oci",
		"/v2/ml/x/manifests/v1":            "oci",
		"/auth/token":                      "oci",
		"/healthz":                         "health",
		"/api/v1/tokens/abc":               "admin",
		"/api/v1/gc":                       "admin",
		"/api/v1/repos/ml/x/history":       "api",
		"/ml/x.git/info/lfs/objects/batch": "lfs",
		"/ml/x/info/lfs/locks/verify":      "lfs",
		"/v2x":                             "lfs",
	} {
		m := metrics.New(func() store.Stats { return store.Stats{} })
		ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		h := NewRouter(Routes{Admin: ok, API: ok, LFS: ok, OCI: ok, Log: slog.New(slog.DiscardHandler), Metrics: m})
		method := http.MethodPost
		if path == "/healthz" {
			method = http.MethodGet
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "http://ballast"+path, nil))
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		line := `ballast_http_requests_total{code="200",method="` + method + `",protocol="` + want + `"} 1`
		if !strings.Contains(rec.Body.String(), line) {
			t.Errorf("%s: no %s in the metrics", path, line)
		}
	}
}

// GET / says what is served where; /readyz answers 503 while the database
// does not; other paths at the root still go to the Git LFS API.
func TestRouterRootAndReadiness(t *testing.T) {
	lfs := false
	ready := error(nil)
	h := NewRouter(Routes{
		Admin: http.NotFoundHandler(),
		LFS:   http.HandlerFunc(func(http.ResponseWriter, *http.Request) { lfs = true }),
		Log:   slog.New(slog.DiscardHandler),
		Ready: func(context.Context) error { return ready },
	})
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://ballast"+path, nil))
		return rec
	}
	if rec := get("/"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/v2/") || lfs {
		t.Fatalf("GET /: %d %q (reached LFS: %v)", rec.Code, rec.Body, lfs)
	}
	if rec := get("/readyz"); rec.Code != http.StatusOK {
		t.Fatalf("GET /readyz: %d", rec.Code)
	}
	ready = errors.New("database is locked")
	if rec := get("/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz with the database down: %d", rec.Code)
	}
	get("/ml/x.git/info/lfs/locks")
	if !lfs {
		t.Fatal("an LFS path did not reach the LFS API")
	}
}
