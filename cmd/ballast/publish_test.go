package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/file"
	"oras.land/oras-go/v2/registry/remote"
	orasauth "oras.land/oras-go/v2/registry/remote/auth"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/internal/httpapi/adminapi"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/server"
	"github.com/ballastml/ballast/internal/testkit/gittest"
	"github.com/ballastml/ballast/lfsserver"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/memory"
)

// registryServer is ballast's registry and LFS server over a real store.
type registryServer struct {
	host  string // host:port
	token string // may write ml/*
	store *store.Store
	reg   *oci.Registry
}

// newTestStore returns a fresh metadata DB and a store over it on the
// in-memory backend, both closed when the test ends.
func newTestStore(t *testing.T) (*db.DB, *store.Store) {
	t.Helper()
	d, err := db.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	st, err := store.New(memory.New(), d, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return d, st
}

func newRegistryServer(t *testing.T) *registryServer {
	t.Helper()
	t.Setenv("BALLAST_TOKEN", "")
	ctx := context.Background()
	d, st := newTestStore(t)
	log := slog.New(slog.DiscardHandler)
	tokens := auth.NewTokens(d)
	key, err := auth.LoadOrCreateKey(ctx, d, "registry-token")
	if err != nil {
		t.Fatal(err)
	}
	regTokens := auth.NewRegistryTokens(key, 0)
	authn := auth.NewAuthenticator(tokens, false).WithRegistryTokens(regTokens)
	scope, _ := auth.ParseScope("ml/*:write")
	secret, _, err := tokens.Create(ctx, "ci", []auth.Scope{scope}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &registryServer{token: secret, store: st}
	srv := httptest.NewUnstartedServer(nil)
	cfg := oci.Config{Store: st, Auth: authn, Tokens: regTokens, DB: d, PublicURL: "http://" + srv.Listener.Addr().String(), Logger: log}
	s.reg = oci.NewRegistry(cfg)
	srv.Config.Handler = server.NewRouter(server.Routes{
		Admin: adminapi.New(tokens, authn, server.GCFunc(st, time.Hour), log),
		LFS:   lfsserver.New(lfsserver.Config{Store: st, Auth: authn, DB: d, Logger: log}),
		OCI:   s.reg.Handler(nil),
		Log:   log,
	})
	srv.Start()
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	s.host = u.Host
	return s
}

// manifest reads the manifest tag points to in repo.
func (s *registryServer) manifest(t *testing.T, repo, tag string) (digest.Digest, ocispec.Manifest) {
	t.Helper()
	ctx := context.Background()
	d, err := s.reg.ResolveTag(ctx, repo, tag)
	if err != nil {
		t.Fatalf("tag %s of %s: %v", tag, repo, err)
	}
	rc, err := s.store.Open(ctx, repo, d, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var m ocispec.Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return d, m
}

// checkout is a Git working tree with LFS pointer files and, in
// .git/lfs/objects, their objects, as git lfs leaves them.
type checkout struct {
	*gittest.Repo
	t   *testing.T
	dir string
}

func newCheckout(t *testing.T) *checkout {
	t.Helper()
	g := gittest.New(t, "*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.json filter=lfs diff=lfs merge=lfs -text\n")
	return &checkout{Repo: g, t: t, dir: g.Dir}
}

// addLFS writes content at path as an LFS pointer and stores the object
// in .git/lfs/objects. It returns the oid.
func (c *checkout) addLFS(path, content string) string {
	c.t.Helper()
	text, oid := gittest.PointerFile([]byte(content))
	c.Write(path, text)
	c.Write(filepath.Join(".git", "lfs", "objects", oid[:2], oid[2:4], oid), content)
	return oid
}

func (c *checkout) removeObject(oid string) {
	c.t.Helper()
	if err := os.Remove(filepath.Join(c.dir, ".git", "lfs", "objects", oid[:2], oid[2:4], oid)); err != nil {
		c.t.Fatal(err)
	}
}

func TestPublishCommand(t *testing.T) {
	s := newRegistryServer(t)
	c := newCheckout(t)
	files := map[string]string{
		"models/deep/model.safetensors": "weights " + strings.Repeat("w", 5000),
		"models/tokenizer.json":         `{"vocab":["a","b"]}`,
		"top.safetensors":               "top-level weights",
	}
	oids := map[string]string{}
	for p, content := range files {
		oids[p] = c.addLFS(p, content)
	}
	c.Write("README.md", "plain Git file\n")
	c.Git("add", "-A")
	c.Git("commit", "-q", "-m", "model v1")
	c.Git("tag", "v1.0.0")
	sha := c.Git("rev-parse", "HEAD")

	target := s.host + "/ml/cat"
	out, err := run(t, "publish", "v1.0.0", "--to", target, "--plain-http", "-C", c.dir, "--password", s.token, "-q")
	if err != nil {
		t.Fatal(err)
	}
	d, m := s.manifest(t, "ml/cat", "v1.0.0")
	if out != target+"@"+d.String()+"\n" {
		t.Fatalf("-q printed %q, want %s@%s", out, target, d)
	}
	if m.ArtifactType != modelpack.ArtifactType || len(m.Layers) != len(files) {
		t.Fatalf("manifest %+v", m)
	}
	for _, l := range m.Layers {
		p := l.Annotations[modelpack.AnnotationFilepath]
		if l.Digest.Encoded() != oids[p] || l.Annotations[ocispec.AnnotationTitle] != p {
			t.Errorf("layer %s: %s, want oid %s", p, l.Digest, oids[p])
		}
	}
	if m.Annotations[ocispec.AnnotationRevision] != sha || m.Annotations[ocispec.AnnotationVersion] != "v1.0.0" {
		t.Errorf("annotations %v", m.Annotations)
	}

	// oras pulls exactly the files of the commit, subdirectories included.
	dir := t.TempDir()
	orasPull(t, s, "ml/cat", "v1.0.0", dir)
	for p, content := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(got) != content {
			t.Errorf("pulled %s: %q, %v", p, got, err)
		}
	}

	// Publishing again uploads nothing and gives the same digest; the
	// token can come from the environment.
	t.Setenv("BALLAST_TOKEN", s.token)
	out, err = run(t, "publish", "v1.0.0", "--to", target, "--plain-http", "-C", c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "0 blobs uploaded") || !strings.Contains(out, d.String()) {
		t.Errorf("second publish printed %q", out)
	}
}

// orasPull pulls repo:tag from s into dir with oras-go's file store, as
// `oras pull` does.
func orasPull(t *testing.T, s *registryServer, repo, tag, dir string) {
	t.Helper()
	r, err := remote.NewRepository(s.host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	r.Client = &orasauth.Client{Credential: orasauth.StaticCredential(s.host, orasauth.Credential{Username: "u", Password: s.token})}
	fs, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if _, err := oras.Copy(context.Background(), r, tag, fs, tag, oras.DefaultCopyOptions); err != nil {
		t.Fatalf("oras pull: %v", err)
	}
}

func TestPublishDefaultsAndLFSFallback(t *testing.T) {
	s := newRegistryServer(t)
	c := newCheckout(t)
	content := "weights only on the server"
	oid := c.addLFS("m.safetensors", content)
	c.Git("add", "-A")
	c.Git("commit", "-q", "-m", "one")
	sha := c.Git("rev-parse", "HEAD")
	c.removeObject(oid)
	target := s.host + "/ml/dst"

	// Not in .git/lfs/objects, not on the server: a clear error.
	_, err := run(t, "publish", "--to", target, "--plain-http", "-C", c.dir, "--password", s.token)
	if err == nil || !strings.Contains(err.Error(), oid) {
		t.Fatalf("publish without the object: %v", err)
	}

	// The object is in another repository's LFS storage on ballast.
	d := digest.NewDigestFromEncoded(digest.SHA256, oid)
	if _, err := s.store.Put(context.Background(), "ml/src", d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	lfsURL := "http://" + s.host + "/ml/src.git/info/lfs"
	if _, err := run(t, "publish", "--to", target, "--plain-http", "-C", c.dir, "--password", s.token, "--lfs-url", lfsURL); err != nil {
		t.Fatal(err)
	}
	// HEAD is no tag: the commit tag.
	_, m := s.manifest(t, "ml/dst", "git-"+sha[:12])
	if len(m.Layers) != 1 || m.Layers[0].Digest != d {
		t.Fatalf("layers %+v", m.Layers)
	}
	if _, err := s.store.Stat(context.Background(), "ml/dst", d); err != nil {
		t.Fatalf("object not uploaded to ml/dst: %v", err)
	}

	// --to :TAG and --tag choose the tag; --path-filter selects files.
	if _, err := run(t, "publish", "--to", target+":named", "--plain-http", "-C", c.dir, "--password", s.token); err != nil {
		t.Fatal(err)
	}
	s.manifest(t, "ml/dst", "named")
	if _, err := run(t, "publish", "--to", target+":named", "--tag", "override", "--path-filter", "nothing/**",
		"--plain-http", "-C", c.dir, "--password", s.token); err != nil {
		t.Fatal(err)
	}
	if _, m := s.manifest(t, "ml/dst", "override"); len(m.Layers) != 0 {
		t.Fatalf("filtered artifact has layers %+v", m.Layers)
	}
}

func TestPublishBadInput(t *testing.T) {
	s := newRegistryServer(t)
	c := newCheckout(t)
	c.addLFS("m.safetensors", "x")
	c.Git("add", "-A")
	c.Git("commit", "-q", "-m", "one")
	cases := [][]string{
		{"publish", "--plain-http", "-C", c.dir},                                             // no --to
		{"publish", "--to", "not a reference", "-C", c.dir},                                  // bad --to
		{"publish", "--to", s.host + "/ml/x@sha256:" + strings.Repeat("a", 64), "-C", c.dir}, // digest
		{"publish", "no-such-ref", "--to", s.host + "/ml/x", "--plain-http", "-C", c.dir, "--password", s.token},
		{"publish", "--to", s.host + "/ml/x", "--plain-http", "-C", t.TempDir(), "--password", s.token}, // no Git
		{"publish", "--to", s.host + "/ml/x", "--plain-http", "-C", c.dir, "--password", "wrong"},
		{"publish", "--to", s.host + "/other/x", "--plain-http", "-C", c.dir, "--password", s.token}, // no access
	}
	for _, args := range cases {
		if _, err := run(t, args...); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

// Publishing to a plain-HTTP registry without --plain-http says what to add.
func TestPublishHintsAtPlainHTTP(t *testing.T) {
	s := newRegistryServer(t)
	c := newCheckout(t)
	c.addLFS("m.safetensors", "x")
	c.Git("add", "-A")
	c.Git("commit", "-q", "-m", "one")
	_, err := run(t, "publish", "--to", s.host+"/ml/x:v1", "-C", c.dir, "--password", s.token)
	if err == nil || !strings.Contains(err.Error(), "--plain-http") {
		t.Fatalf("publish over TLS to a plain-HTTP registry: %v; want a hint at --plain-http", err)
	}
}
