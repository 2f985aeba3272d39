package server

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/ballastml/ballast/internal/server/metrics"
)

// serveDebug serves Go's profiling handlers on their own listener, so they
// are never reachable through the public address.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("debug server listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Warn("debug server stopped", "err", err)
	}
}

// serveMetrics serves the Prometheus metrics on their own listener.
func serveMetrics(addr string, m *metrics.Metrics, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("metrics server listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Warn("metrics server stopped", "err", err)
	}
}
