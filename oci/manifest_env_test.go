package oci

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/opencontainers/go-digest"
)

// mrepo is the repository the manifest, tag and referrer tests push to.
const mrepo = "ml/cat"

// menv is the shared test registry with a token that may write to ml/*.
type menv struct {
	*testEnv
	tok string
}

func newManifestEnv(t *testing.T, opts ...envOption) *menv {
	t.Helper()
	e := newEnv(t, opts...)
	return &menv{testEnv: e, tok: e.token("alice", "ml/*:write")}
}

// call sends an authenticated request with an optional body and headers
// given as name, value pairs.
func (e *menv) call(method, path string, body []byte, headers ...string) reply {
	e.t.Helper()
	opts := []reqOption{withBasic(e.tok)}
	if body != nil {
		opts = append(opts, withBody(body))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		opts = append(opts, withHeader(headers[i], headers[i+1]))
	}
	return e.do(method, path, opts...)
}

// manifestPath is the URL path of a manifest reference in mrepo.
func manifestPath(ref string) string { return "/v2/" + mrepo + "/manifests/" + ref }

// put pushes body to ref of mrepo with Content-Type mt.
func (e *menv) put(ref, mt string, body []byte) reply {
	e.t.Helper()
	return e.call(http.MethodPut, manifestPath(ref), body, "Content-Type", mt)
}

// blob stores data in repo through the store and describes it.
func (e *menv) blob(repo string, data []byte) descriptor {
	e.t.Helper()
	return descriptor{MediaType: "application/octet-stream", Digest: e.putBlob(repo, data), Size: int64(len(data))}
}

// pushImage stores a config and a layer in mrepo and returns a manifest
// over them, deliberately formatted with odd whitespace and key order.
func (e *menv) pushImage(seed string) []byte {
	cfg := e.blob(mrepo, []byte(`{"seed":"`+seed+`"}`))
	layer := e.blob(mrepo, []byte("layer bytes of "+seed))
	return fmt.Appendf(nil, "{\n  \"layers\": [ {\"size\": %d, \"digest\": %q, \"mediaType\": \"application/vnd.oci.image.layer.v1.tar\"} ],\n"+
		"\t\"schemaVersion\" : 2,\n  \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": %q, \"size\": %d},\n"+
		"  \"mediaType\": %q\n}\n", layer.Size, layer.Digest, cfg.Digest, cfg.Size, mtOCIManifest)
}

// imageManifest builds an OCI image manifest over config and layers, with
// extra members.
func imageManifest(config descriptor, layers []descriptor, extra map[string]any) []byte {
	m := map[string]any{"schemaVersion": 2, "mediaType": mtOCIManifest, "config": config, "layers": layers}
	for k, v := range extra {
		m[k] = v
	}
	return mustJSON(m)
}

// imageIndexOf builds an OCI image index over children, with extra members.
func imageIndexOf(children []descriptor, extra map[string]any) []byte {
	m := map[string]any{"schemaVersion": 2, "mediaType": mtOCIIndex, "manifests": children}
	for k, v := range extra {
		m[k] = v
	}
	return mustJSON(m)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// wantHeaders checks the headers of a manifest GET or HEAD.
func wantHeaders(t *testing.T, r reply, mt string, d digest.Digest, size int) {
	t.Helper()
	h := r.Header
	if h.Get("Content-Type") != mt || h.Get("Docker-Content-Digest") != d.String() || h.Get("Content-Length") != fmt.Sprint(size) {
		t.Fatalf("%s %s: headers %v, want %s %s %d", r.Request.Method, r.Request.URL, h, mt, d, size)
	}
}

// errorDetail returns the detail of a reply's first error.
func errorDetail(t *testing.T, r reply) any {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(r.body, &eb); err != nil || len(eb.Errors) == 0 {
		t.Fatalf("error body %s", r.body)
	}
	return eb.Errors[0].Detail
}
