// Package pintest is a tiny in-process OCI registry for testing pin. It
// answers manifest HEAD requests for the tags it is given, the one request
// that resolving a tag to a digest needs.
package pintest

import (
	"context"
	_ "crypto/sha256" // digest.FromString
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

// Registry is a fake registry. Create one with New.
type Registry struct {
	// Host is the registry's address, a loopback host:port.
	Host string
	// Password, when set, is required as the HTTP Basic password.
	Password string

	mu        sync.Mutex
	manifests map[string]digest.Digest // by "repo:tag" and "repo@digest"
	reqs      int
}

// New starts a registry that is closed when the test ends.
func New(t testing.TB) *Registry {
	r := &Registry{manifests: make(map[string]digest.Digest)}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// Tag points repo:tag to a manifest whose digest depends only on repo and
// tag, and returns that digest.
func (r *Registry) Tag(repo, tag string) digest.Digest {
	d := digest.FromString(repo + ":" + tag)
	r.Put(repo, tag, d)
	return d
}

// Put points repo:tag to the manifest with digest d.
func (r *Registry) Put(repo, tag string, d digest.Digest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifests[repo+":"+tag] = d
	r.manifests[repo+"@"+d.String()] = d
}

// Requests returns how many requests the registry has served.
func (r *Registry) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs
}

// Client returns an HTTP client that sends every request, whatever its
// host, to the registry, which it must reach over plain HTTP. Files can
// then name realistic hosts such as registry.example.com.
func (r *Registry) Client() *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, r.Host)
		},
	}}
}

// ServeHTTP answers HEAD /v2/<repo>/manifests/<tag or digest>.
// Reference: distribution-spec v1.1, "Checking if content exists in the
// registry".
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs++
	r.mu.Unlock()
	if r.Password != "" {
		if _, pw, ok := req.BasicAuth(); !ok || pw != r.Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="pintest"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	path, _ := strings.CutPrefix(req.URL.Path, "/v2/")
	repo, ref, found := strings.Cut(path, "/manifests/")
	if !found || req.Method != http.MethodHead {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	sep := ":"
	if strings.Contains(ref, ":") {
		sep = "@"
	}
	r.mu.Lock()
	d, ok := r.manifests[repo+sep+ref]
	r.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	w.Header().Set("Content-Length", fmt.Sprint(512))
	w.Header().Set("Docker-Content-Digest", d.String())
}
