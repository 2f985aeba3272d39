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
