package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/server/metrics"
	"github.com/ballastml/ballast/oci"
)

// Routes are the parts NewRouter mounts, and its middleware's settings.
type Routes struct {
	Admin http.Handler
	API   http.Handler // provenance and repository API; nil: not served
	LFS   http.Handler
	OCI   http.Handler // nil: not served
	Log   *slog.Logger
	// Metrics records every request, by the protocol label of the route
	// it took; nil: none.
	Metrics *metrics.Metrics
	// StallTimeout cuts off request bodies that stall (httpx.MinBodyRate).
	StallTimeout time.Duration
	// Ready reports whether the server can answer requests (its database
	// answers), for GET /readyz; nil: always ready.
	Ready func(context.Context) error
}

// Protocol labels of the routes, in the metrics.
const (
	labelLFS    = "lfs"
	labelOCI    = "oci"
	labelAPI    = "api"
	labelAdmin  = "admin"
	labelHealth = "health"
)

// NewRouter mounts the server's parts: health, the admin API under
// /api/v1/tokens and /api/v1/gc, the provenance and repository API under
// the rest of /api/v1/, the OCI registry under /v2/ (and its token
// endpoint), and the Git LFS API on every other path
// ({repo}.git/info/lfs/…). Each route carries the protocol label the
// metrics count it under.
func NewRouter(d Routes) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", labelled(labelHealth, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})))
	mux.Handle("GET /readyz", labelled(labelHealth, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Ready != nil {
			if err := d.Ready(r.Context()); err != nil {
				d.Log.Warn("not ready", "err", err)
				writeText(w, http.StatusServiceUnavailable, "not ready: the metadata database does not answer\n")
				return
			}
		}
		writeText(w, http.StatusOK, "ready\n")
	})))
	mux.Handle("GET /{$}", labelled(labelHealth, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, rootPage)
	})))
	if d.API != nil {
		mux.Handle("/api/v1/", labelled(labelAPI, d.API))
	}
	admin := labelled(labelAdmin, d.Admin)
	mux.Handle(adminapi.TokensPath, admin)
	mux.Handle(adminapi.TokensPath+"/", admin)
	mux.Handle(adminapi.GCPath, admin)
	mux.Handle("/", labelled(labelLFS, d.LFS))
	var registry http.Handler
	if d.OCI != nil {
		registry = labelled(labelOCI, d.OCI)
		mux.Handle(oci.TokenPath, registry)
	}
	rest := rejectUncleanPaths(mux)
	return accessLog(httpx.MinBodyRate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The registry gets /v2 paths as sent, not cleaned or redirected by
		// ServeMux: it validates repository names itself (NAME_INVALID).
		if registry != nil && (r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/")) {
			registry.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	}), d.StallTimeout), d.Log, d.Metrics)
}

// routeLabel is the protocol label of the route a request took: accessLog
// makes one per request (lfs unless a route says otherwise: a path refused
// before routing is answered in the Git LFS error shape), and the route's
// labelled wrapper sets it.
type routeLabel struct{ name string }

type routeLabelKey struct{}

// labelled marks the requests h serves with the protocol label name.
func labelled(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l, ok := r.Context().Value(routeLabelKey{}).(*routeLabel); ok {
			l.name = name
		}
		h.ServeHTTP(w, r)
	})
}

// rootPage is the answer to GET /: what is served where.
const rootPage = `ballast: a Git LFS server and OCI registry over one deduplicated store.

  Git LFS     {base}/{repo}.git/info/lfs   (git config lfs.url)
  OCI         {base}/v2/                   (oras, crane, skopeo, docker)
  JSON API    {base}/api/v1/               (provenance, tokens, Git sources)
  health      {base}/healthz (alive), {base}/readyz (can serve)
`

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// rejectUncleanPaths refuses paths with empty, "." or ".." segments before
// routing, instead of letting ServeMux redirect them: no client has a reason
// to send one, and a redirect would only invite traversal games.
func rejectUncleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || hasDotSegment(p) {
			// {"message": …} is the Git LFS error shape, which is what
			// clients sending such paths (to LFS URLs) display.
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{
				"message": "invalid path: it must not contain empty, '.' or '..' segments"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// statusRecorder remembers the status and size of a response for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog logs every request, and records it in m unless m is nil.
func accessLog(next http.Handler, log *slog.Logger, m *metrics.Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		label := &routeLabel{name: labelLFS}
		r = r.WithContext(context.WithValue(r.Context(), routeLabelKey{}, label))
		defer func() {
			d := time.Since(start)
			attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "duration", d.Round(time.Microsecond), "remote", r.RemoteAddr}
			p := recover()
			if m != nil {
				status := rec.status
				switch {
				case p != nil:
					status = 0 // aborted: no complete answer
				case status == 0:
					status = http.StatusOK // nothing written: net/http sent a 200
				}
				m.ObserveRequest(label.name, r.Method, status, rec.bytes, d)
			}
			if p != nil {
				log.Warn("request aborted", attrs...)
				panic(p) // net/http closes the connection
			}
			log.Info("request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}
