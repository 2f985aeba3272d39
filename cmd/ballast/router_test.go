package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRouterRejectsUncleanPaths(t *testing.T) {
	reached := false
	h := newRouter(routerDeps{
		admin: http.NotFoundHandler(),
		lfs:   http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }),
		log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
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
	h := newRouter(routerDeps{
		admin: http.NotFoundHandler(),
		lfs:   http.NotFoundHandler(),
		oci:   http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = append(got, r.URL.Path) }),
		log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
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
