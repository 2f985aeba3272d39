package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The OCI side of the end-to-end tests drives oras, crane, skopeo and the
// OCI distribution-spec conformance suite (oci-conformance) against the
// same server the git-lfs tests use. `make tools` installs them; like
// git-lfs, a missing one skips the test unless BALLAST_E2E=1.

// OCI media types the tests push.
const (
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtIndex    = "application/vnd.oci.image.index.v1+json"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtEmpty    = "application/vnd.oci.empty.v1+json"
	mtLayer    = "application/vnd.oci.image.layer.v1.tar"
	mtONNX     = "application/vnd.onnx.model"
	mtEval     = "application/vnd.ballast.eval.v1+json"
	titleKey   = "org.opencontainers.image.title"
)

// ociEnv runs OCI clients with a home of their own: the credentials that
// oras, crane and skopeo store at login stay in the test's directory, and
// none of the machine's leak in.
type ociEnv struct {
	t      *testing.T
	home   string
	env    []string
	policy string // skopeo's trust policy file
}

func newOCIEnv(t *testing.T) *ociEnv {
	t.Helper()
	home := t.TempDir()
	e := &ociEnv{
		t:      t,
		home:   home,
		policy: filepath.Join(home, "policy.json"),
		env: append(environ("HOME=", "DOCKER_CONFIG=", "REGISTRY_AUTH_FILE=", "XDG_RUNTIME_DIR=", "XDG_CONFIG_HOME="),
			"HOME="+home,
			"DOCKER_CONFIG="+filepath.Join(home, ".docker"),
			"REGISTRY_AUTH_FILE="+filepath.Join(home, "auth.json"),
			"XDG_RUNTIME_DIR="+filepath.Join(home, "run"),
			"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		),
	}
	// The tests check bytes and digests themselves; image signatures are
	// not what they are about.
	if err := os.WriteFile(e.policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// try runs a client in dir and returns its combined output.
func (e *ociEnv) try(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// run runs a client in dir, fails the test if it fails and returns its
// standard output, which warnings on standard error do not mix into.
func (e *ociEnv) run(dir, name string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = e.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// ref is an image reference to repo on s: ref("ml/x", ":v1") or
// ref("ml/x", "@sha256:…").
func (s *server) ref(repo, suffix string) string { return s.addr + "/" + repo + suffix }

// ociDo sends a request to path (which starts with /v2/ or is an absolute
// URL) with token as the Basic password and returns what came back.
func (s *server) ociDo(t *testing.T, token, method, path string, header map[string]string, body []byte) rawResponse {
	t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = s.url + path
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	resp, b := s.do(t, token, method, u, header, r)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// ociError is the spec's error body.
// Reference: distribution-spec "Error Codes".
type ociError struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// assertOCIError checks that r has the status and a JSON error body whose
// first error carries one of codes.
func assertOCIError(t *testing.T, what string, r rawResponse, status int, codes ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d (%v), want %d: %.300q", what, r.status, r.err, status, r.body)
		return
	}
	var e ociError
	if err := json.Unmarshal(r.body, &e); err != nil || len(e.Errors) == 0 {
		t.Errorf("%s: body %.300q, want the spec's JSON error {\"errors\":[{\"code\":…}]} with code %s", what, r.body, strings.Join(codes, " or "))
		return
	}
	if !slices.Contains(codes, e.Errors[0].Code) {
		t.Errorf("%s: error code %s (%q), want %s", what, e.Errors[0].Code, e.Errors[0].Message, strings.Join(codes, " or "))
	}
}

// digestOf is the sha256 digest of b in OCI form.
func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// location resolves the Location header of r against the server's URL.
func (s *server) location(t *testing.T, r rawResponse) string {
	t.Helper()
	loc := r.header.Get("Location")
	if loc == "" {
		t.Fatalf("response %d without a Location header: %.300q", r.status, r.body)
	}
	base, _ := url.Parse(s.url + "/")
	u, err := base.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	return u.String()
}

// withQuery adds key=value to the query of the URL u.
func withQuery(t *testing.T, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// startUpload opens an upload session in repo and returns its location.
func (s *server) startUpload(t *testing.T, token, repo string) string {
	t.Helper()
	r := s.ociDo(t, token, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /v2/%s/blobs/uploads/: status %d, want 202: %.300q", repo, r.status, r.body)
	}
	return s.location(t, r)
}

// pushBlob uploads content to repo with POST then PUT ?digest= and returns
// its digest.
func (s *server) pushBlob(t *testing.T, token, repo string, content []byte) string {
	t.Helper()
	d := digestOf(content)
	loc := s.startUpload(t, token, repo)
	r := s.ociDo(t, token, http.MethodPut, withQuery(t, loc, "digest", d),
		map[string]string{"Content-Type": "application/octet-stream"}, content)
	if r.status != http.StatusCreated {
		t.Fatalf("PUT blob %s to %s: status %d, want 201: %.300q", d, repo, r.status, r.body)
	}
	return d
}

// putManifest PUTs body as a manifest of type contentType to repo at ref.
func (s *server) putManifest(t *testing.T, token, repo, ref, contentType string, body []byte) rawResponse {
	t.Helper()
	return s.ociDo(t, token, http.MethodPut, "/v2/"+repo+"/manifests/"+ref,
		map[string]string{"Content-Type": contentType}, body)
}

// descriptor is an image-spec content descriptor.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// blobDesc describes content as a blob of mediaType.
func blobDesc(mediaType string, content []byte) descriptor {
	return descriptor{MediaType: mediaType, Digest: digestOf(content), Size: int64(len(content))}
}

// imageManifest is an OCI image manifest with config and layers, and
// annotations if any.
func imageManifest(t *testing.T, config descriptor, layers []descriptor, annotations map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtManifest,
		"config":        config,
		"layers":        layers,
		"annotations":   annotations,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pushImage pushes a small image (a config and one layer, both random) to
// repo and tags it; it returns the manifest and its digest.
func (s *server) pushImage(t *testing.T, token, repo, tag string) ([]byte, string) {
	t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":"` + rand16() + `"}`)
	layer := randomBytes(4096)
	s.pushBlob(t, token, repo, config)
	s.pushBlob(t, token, repo, layer)
	m := imageManifest(t, blobDesc(mtConfig, config), []descriptor{blobDesc(mtLayer, layer)}, nil)
	if r := s.putManifest(t, token, repo, tag, mtManifest, m); r.status != http.StatusCreated {
		t.Fatalf("PUT manifest %s:%s: status %d, want 201: %.300q", repo, tag, r.status, r.body)
	}
	return m, digestOf(m)
}

func rand16() string { return hex.EncodeToString(randomBytes(8)) }

// challengeParamRE matches one auth-param of a WWW-Authenticate header.
var challengeParamRE = regexp.MustCompile(`(\w+)="([^"]*)"`)

// challenge parses a Bearer challenge into its parameters (realm, service,
// scope), or returns nil if h is not one.
func challenge(h string) map[string]string {
	scheme, params, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil
	}
	m := map[string]string{}
	for _, kv := range challengeParamRE.FindAllStringSubmatch(params, -1) {
		m[kv[1]] = kv[2]
	}
	return m
}

// registryToken runs the registry token flow as a client does: it reads
// the Bearer challenge of an anonymous GET /v2/, then asks the realm for a
// token for scope (e.g. "repository:ml/x:pull") with user and secret as
// Basic credentials. It returns the token endpoint's status and, on 200,
// the token.
func (s *server) registryToken(t *testing.T, user, secret, scope string) (int, string) {
	t.Helper()
	r := s.ociDo(t, "", http.MethodGet, "/v2/", nil, nil)
	c := challenge(r.header.Get("WWW-Authenticate"))
	if r.status != http.StatusUnauthorized || c == nil || c["realm"] == "" {
		t.Fatalf("anonymous GET /v2/: status %d, WWW-Authenticate %q; want 401 with a Bearer challenge naming a realm",
			r.status, r.header.Get("WWW-Authenticate"))
	}
	q := url.Values{"service": {c["service"]}}
	if scope != "" {
		q.Set("scope", scope)
	}
	req, err := http.NewRequest(http.MethodGet, c["realm"]+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, secret)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ""
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: bad JSON: %v", req.URL, err)
	}
	if body.Token == "" {
		body.Token = body.AccessToken
	}
	if body.Token == "" {
		t.Fatalf("GET %s: 200 without a token", req.URL)
	}
	return resp.StatusCode, body.Token
}

// bearerGet sends GET path with a Bearer token.
func (s *server) bearerGet(t *testing.T, bearer, path string) rawResponse {
	t.Helper()
	return s.ociDo(t, "", http.MethodGet, path, map[string]string{"Authorization": "Bearer " + bearer}, nil)
}
