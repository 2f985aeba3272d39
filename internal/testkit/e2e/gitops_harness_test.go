package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The GitOps tests drive the whole loop with the tools a model team runs:
// git and git-lfs push to a bare "origin" on local disk and to ballast,
// ballast mirrors and indexes origin and publishes its tags, oras pulls
// them. The helpers here hold one model repository's Git and OCI sides.

// Media types and annotations of what ballast publishes for a Git tag.
// Reference: model-spec docs/spec.md and docs/annotations.md.
const (
	mtModelManifest = "application/vnd.cncf.model.manifest.v1+json"
	mtModelConfig   = "application/vnd.cncf.model.config.v1+json"
	mtModelWeight   = "application/vnd.cncf.model.weight.v1.raw"
	filepathKey     = "org.cncf.model.filepath"
	revisionKey     = "org.opencontainers.image.revision"
	versionKey      = "org.opencontainers.image.version"
	sourceKey       = "org.opencontainers.image.source"
)

// publishTimeout bounds how long a test waits for ballast to publish what
// a sync indexed (publishing is asynchronous) or to record a pull.
const publishTimeout = 30 * time.Second

// gitopsServer starts ballast for a GitOps test. The periodic Git poll is
// pushed out of the test's way, so every fetch is one the test asked for
// and a sync's report is deterministic.
func gitopsServer(t *testing.T) *server {
	t.Helper()
	requireTools(t, "git", "git-lfs", "oras")
	// Some tests serve Git (or not Git) over HTTP on this machine.
	return startServer(t, "--git-poll-interval", "1h", "--git-allow-loopback")
}

// modelRepo is a model's Git repository as a team has it: a bare origin on
// local disk, a working repository whose committed .lfsconfig sends LFS
// objects to the ballast repository of the same name, and git credentials
// (a credential store, as `git credential approve` would leave) for user
// with token. oci is logged in to ballast as the same user.
type modelRepo struct {
	t      *testing.T
	s      *server
	g      *gitEnv
	oci    *ociEnv
	repo   string // ml/story: the ballast, LFS and OCI repository
	user   string
	token  string
	origin string // the bare repository ballast is connected to
	work   string // the working repository
}

func newModelRepo(t *testing.T, s *server, repo, user, token string) *modelRepo {
	t.Helper()
	g := newGit(t)
	g.storeCredentials(s, user, token)
	m := &modelRepo{t: t, s: s, g: g, oci: newOCIEnv(t), repo: repo, user: user, token: token}
	m.origin = g.origin()
	m.work = filepath.Join(t.TempDir(), "work")
	g.run(t.TempDir(), "init", m.work)
	g.run(m.work, "remote", "add", "origin", m.origin)
	g.run(m.work, "lfs", "install", "--local")
	writeBytes(t, filepath.Join(m.work, ".lfsconfig"), []byte("[lfs]\n\turl = "+s.lfsURL("", "", repo)+"\n"))
	g.run(m.work, "lfs", "track", "models/*.onnx")
	g.run(m.work, "add", ".lfsconfig", ".gitattributes")
	m.oci.run(t.TempDir(), "oras", "login", "--plain-http", "-u", user, "-p", token, s.addr)
	return m
}

// withT returns m reporting to t, for use in the subtest t.
func (m *modelRepo) withT(t *testing.T) *modelRepo {
	c := *m
	c.t, c.g = t, m.g.withT(t)
	o := *m.oci
	o.t = t
	c.oci = &o
	return &c
}

// storeCredentials makes git (and git-lfs, which asks git) answer ballast's
// challenges with user and token, from a credential store file of its own.
func (g *gitEnv) storeCredentials(s *server, user, token string) {
	g.t.Helper()
	file := filepath.Join(g.t.TempDir(), "git-credentials")
	writeBytes(g.t, file, []byte("http://"+user+":"+token+"@"+s.addr+"\n"))
	g.run(g.t.TempDir(), "config", "--global", "credential.helper", "store --file="+file)
}

// commitFile writes size random bytes to path in the working repository,
// commits everything with msg and returns the file's sha256 (its LFS oid).
func (m *modelRepo) commitFile(path string, size int64, msg string) string {
	m.t.Helper()
	oid := writeRandom(m.t, filepath.Join(m.work, path), size)
	m.g.run(m.work, "add", "-A")
	m.g.run(m.work, "commit", "-q", "-m", msg)
	return oid
}

// head is the commit the working repository has checked out.
func (m *modelRepo) head() string {
	m.t.Helper()
	return strings.TrimSpace(m.g.run(m.work, "rev-parse", "HEAD"))
}

// push runs `git push origin ARGS…` and returns git's output, git-lfs's
// pre-push upload report included.
func (m *modelRepo) push(args ...string) string {
	m.t.Helper()
	return m.g.run(m.work, append([]string{"push", "origin"}, args...)...)
}

// cli runs a ballast client command against the server with token.
func (m *modelRepo) cli(token string, args ...string) (string, error) {
	m.t.Helper()
	return m.s.ballast(m.t, append(args, "--server", m.s.url, "--token", token)...)
}

// mustCLI is cli that fails the test on a non-zero exit.
func (m *modelRepo) mustCLI(token string, args ...string) string {
	m.t.Helper()
	out, err := m.cli(token, args...)
	if err != nil {
		m.t.Fatal(err)
	}
	return out
}

// connect connects the ballast repository to origin by its local path,
// which needs the admin token.
func (m *modelRepo) connect(extra ...string) {
	m.t.Helper()
	out := m.mustCLI(m.s.admin, append([]string{"repo", "connect", m.repo, "--git", m.origin}, extra...)...)
	if !strings.Contains(out, "Connected "+m.repo+" to "+m.origin) {
		m.t.Errorf("ballast repo connect: output %q, want it to confirm %s → %s", out, m.repo, m.origin)
	}
}

// sync runs `ballast repo sync` with the user's (write) token, as a Git
// host's webhook would, and returns its output.
func (m *modelRepo) sync() string {
	m.t.Helper()
	return m.mustCLI(m.token, "repo", "sync", m.repo)
}

// status is `ballast repo show REPO --json`.
func (m *modelRepo) status() gitStatusDoc {
	m.t.Helper()
	return decodeJSON[gitStatusDoc](m.t, "ballast repo show --json", m.mustCLI(m.token, "repo", "show", m.repo, "--json"))
}

// ref is the OCI reference of tag in the repository.
func (m *modelRepo) ref(tag string) string { return m.s.ref(m.repo, ":"+tag) }

// tryManifest fetches the manifest of tag with oras.
func (m *modelRepo) tryManifest(tag string) (string, error) {
	return m.oci.try(m.t.TempDir(), "oras", "manifest", "fetch", "--plain-http", m.ref(tag))
}

// manifest fetches the manifest of tag with oras; it must exist.
func (m *modelRepo) manifest(tag string) (modelManifest, string) {
	m.t.Helper()
	raw := m.oci.run(m.t.TempDir(), "oras", "manifest", "fetch", "--plain-http", m.ref(tag))
	return decodeJSON[modelManifest](m.t, "oras manifest fetch "+m.ref(tag), raw), raw
}

// waitManifest polls `oras manifest fetch` until tag exists and its
// manifest satisfies ok (nil: any manifest), and returns it.
func (m *modelRepo) waitManifest(tag string, ok func(modelManifest) bool) (modelManifest, string) {
	m.t.Helper()
	var last string
	deadline := time.Now().Add(publishTimeout)
	for {
		raw, err := m.tryManifest(tag)
		if err == nil {
			var doc modelManifest
			if jerr := json.Unmarshal([]byte(raw), &doc); jerr != nil {
				m.t.Fatalf("oras manifest fetch %s: not JSON: %v\n%s", m.ref(tag), jerr, raw)
			}
			if ok == nil || ok(doc) {
				return doc, raw
			}
		}
		last = raw
		if time.Now().After(deadline) {
			m.t.Fatalf("%s not published as expected %s after the sync; last oras manifest fetch (err %v):\n%s\nballast repo show:\n%s",
				m.ref(tag), publishTimeout, err, last, m.showText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// showText is `ballast repo show`, for failure messages.
func (m *modelRepo) showText() string {
	out, err := m.cli(m.token, "repo", "show", m.repo)
	if err != nil {
		return err.Error()
	}
	return out
}

// tags lists the repository's OCI tags with `oras repo tags`.
func (m *modelRepo) tags() []string {
	m.t.Helper()
	return lines(m.oci.run(m.t.TempDir(), "oras", "repo", "tags", "--plain-http", m.s.ref(m.repo, "")))
}

// layerDigests are the digests of a manifest's layers, in order.
func layerDigests(m modelManifest) []string {
	var d []string
	for _, l := range m.Layers {
		d = append(d, l.Digest)
	}
	return d
}

// hasLayers returns a waitManifest condition: the layers are exactly the
// digests.
func hasLayers(digests ...string) func(modelManifest) bool {
	return func(m modelManifest) bool { return slices.Equal(layerDigests(m), digests) }
}

// modelManifest is the part of a published manifest the tests read.
type modelManifest struct {
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType"`
	Config       descriptor        `json:"config"`
	Layers       []descriptor      `json:"layers"`
	Annotations  map[string]string `json:"annotations"`
}

// The documented JSON of the ballast API (docs/api.md), as far as the
// tests read it.
type (
	gitStatusDoc struct {
		Repo      string       `json:"repo"`
		LastSync  *time.Time   `json:"last_sync"`
		LastError string       `json:"last_error"`
		Refs      []refDoc     `json:"refs"`
		Problems  []problemDoc `json:"problems"`
		Pending   []pendingDoc `json:"pending"`
	}
	pendingDoc struct {
		Tag     string   `json:"tag"`
		Commit  string   `json:"commit"`
		Missing []string `json:"missing"`
	}
	refDoc struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Commit string `json:"commit"`
	}
	problemDoc struct {
		Commit string `json:"commit"`
		Path   string `json:"path"`
		Kind   string `json:"kind"`
		Detail string `json:"detail"`
	}
	fileDoc struct {
		Path   string `json:"path"`
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	}
	diffDoc struct {
		From    struct{ Ref, Commit string } `json:"from"`
		To      struct{ Ref, Commit string } `json:"to"`
		Added   int                          `json:"added"`
		Removed int                          `json:"removed"`
		Changed int                          `json:"changed"`
		Changes []struct {
			Status string   `json:"status"`
			Path   string   `json:"path"`
			Old    *fileDoc `json:"old"`
			New    *fileDoc `json:"new"`
		} `json:"changes"`
	}
	commitDoc struct {
		SHA     string   `json:"sha"`
		Parents []string `json:"parents"`
		Author  struct {
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"author"`
		Message string `json:"message"`
	}
	digestDoc struct {
		Digest      string `json:"digest"`
		Occurrences []struct {
			Repo   string    `json:"repo"`
			Path   string    `json:"path"`
			Commit commitDoc `json:"commit"`
			Refs   []refDoc  `json:"refs"`
		} `json:"occurrences"`
		Manifests []struct {
			Repo      string   `json:"repo"`
			MediaType string   `json:"media_type"`
			Tags      []string `json:"tags"`
		} `json:"manifests"`
		NextCursor string `json:"next_cursor"`
	}
	refFilesDoc struct {
		Commit         commitDoc `json:"commit"`
		ManifestDigest string    `json:"manifest_digest"`
		OCITag         string    `json:"oci_tag"`
		MissingOCITag  string    `json:"missing_oci_tag"`
		Files          []fileDoc `json:"files"`
	}
	pullDoc struct {
		Repo      string `json:"repo"`
		Digest    string `json:"digest"`
		Reference string `json:"reference"`
		Kind      string `json:"kind"`
		Protocol  string `json:"protocol"`
		User      string `json:"user"`
		TokenID   string `json:"token_id"`
	}
	pullsDoc struct {
		Pulls      []pullDoc `json:"pulls"`
		NextCursor string    `json:"next_cursor"`
	}
)

// apiGet sends GET path (under the server) with token and decodes a 200
// JSON answer into a T.
func apiGet[T any](t *testing.T, s *server, token, path string) T {
	t.Helper()
	resp, body := s.do(t, token, http.MethodGet, s.url+path, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200: %s", path, resp.StatusCode, body)
	}
	return decodeJSON[T](t, "GET "+path, string(body))
}

// waitPull polls the pull log of repo until a pull matching ok is there
// and returns it.
func waitPull(t *testing.T, s *server, repo, what string, ok func(pullDoc) bool) pullDoc {
	t.Helper()
	deadline := time.Now().Add(publishTimeout)
	for {
		got := apiGet[pullsDoc](t, s, s.admin, "/api/v1/pulls?repo="+repo+"&limit=1000")
		for _, p := range got.Pulls {
			if ok(p) {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pull log of %s: no %s after %s; it has %+v", repo, what, publishTimeout, got.Pulls)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertHealthy checks that the server still runs and answers /healthz.
func assertHealthy(t *testing.T, s *server, after string) {
	t.Helper()
	if !s.running() {
		t.Fatalf("ballast exited after %s: %v", after, s.err)
	}
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz after %s: %v", after, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz after %s: status %d", after, resp.StatusCode)
	}
}

// lfsUploads are the Git LFS object uploads (PUT …/info/lfs/objects/OID)
// in the server's access log after offset.
func lfsUploads(t *testing.T, s *server, repo string, offset int64) []string {
	t.Helper()
	var ups []string
	for _, l := range logLines(t, s, offset) {
		if strings.Contains(l, "method=PUT") && strings.Contains(l, "path=/"+repo+".git/info/lfs/objects/") {
			ups = append(ups, l)
		}
	}
	return ups
}

// writeFileT writes content to path, creating its directory.
func writeFileT(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// short12 is the 12-digit form of a commit SHA used by git-<sha12> tags.
func short12(sha string) string {
	if len(sha) < 12 {
		panic(fmt.Sprintf("short12(%q)", sha))
	}
	return sha[:12]
}
