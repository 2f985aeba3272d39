package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/testkit/gittest"
	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/memory"
)

const repo = "ml/cat"

// env is a publisher over real parts: a store on the memory backend,
// SQLite, the registry, and a Git index of a repository built with git.
type env struct {
	t       *testing.T
	ctx     context.Context
	git     *gittest.Repo
	db      *db.DB
	store   *store.Store
	backend store.Backend
	reg     *oci.Registry
	idx     *gitindex.Indexer
	pub     *Publisher
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, git: gittest.New(t, "models/** filter=lfs diff=lfs merge=lfs -text\n")}
	var err error
	e.db = dbtest.Open(t)
	log := slog.New(slog.DiscardHandler)
	e.backend = memory.New()
	if e.store, err = store.New(e.backend, e.db, store.Options{Logger: log}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	e.reg = oci.NewRegistry(oci.Config{Store: e.store, DB: e.db, Logger: log})
	e.idx = gitindex.New(e.db, filepath.Join(t.TempDir(), "git"), log)
	if err := e.idx.Connect(ctx, repo, gitindex.Source{URL: e.git.Dir}); err != nil {
		t.Fatal(err)
	}
	e.pub = e.newPublisher()
	return e
}

// newPublisher starts a publisher over e's parts, as serve wires it.
func (e *env) newPublisher() *Publisher {
	p := &Publisher{Index: e.idx, Store: e.store, Registry: e.reg, DB: e.db, Log: slog.New(slog.DiscardHandler)}
	e.store.Subscribe(p.ObjectLinked)
	go p.Run(e.ctx)
	return p
}

// sync indexes the Git repository and hands the result to the publisher.
func (e *env) sync() gitindex.SyncResult {
	e.t.Helper()
	res, err := e.idx.Sync(e.ctx, repo)
	if err != nil {
		e.t.Fatal(err)
	}
	e.pub.OnSync(repo, res)
	return res
}

// model is a file's content and its LFS pointer.
type model struct {
	content []byte
	oid     string
}

func newModel(content string) model {
	s := sha256.Sum256([]byte(content))
	return model{content: []byte(content), oid: hex.EncodeToString(s[:])}
}

func (m model) pointer() string {
	text, _ := gittest.PointerFile(m.content)
	return text
}

func (m model) digest() digest.Digest { return digest.NewDigestFromEncoded(digest.SHA256, m.oid) }

// upload puts m's object in the repository, as git lfs push does.
func (e *env) upload(m model) {
	e.t.Helper()
	if _, err := e.store.Put(e.ctx, repo, m.digest(), int64(len(m.content)), bytes.NewReader(m.content)); err != nil {
		e.t.Fatal(err)
	}
}

// commit writes files (path → model) as pointer files and commits them.
func (e *env) commit(msg string, files map[string]model) string {
	e.t.Helper()
	for p, m := range files {
		e.git.Write(p, m.pointer())
	}
	return e.git.Commit(msg)
}

// resolve returns the digest tag points to, failing the test if none.
func (e *env) resolve(tag string) digest.Digest {
	e.t.Helper()
	d, err := e.reg.ResolveTag(e.ctx, repo, tag)
	if err != nil {
		e.t.Fatalf("tag %s: %v", tag, err)
	}
	return d
}

// eventually waits until tag resolves to something other than not (""
// waits for it to exist) and returns it.
func (e *env) eventually(tag string, not digest.Digest) digest.Digest {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		d, err := e.reg.ResolveTag(e.ctx, repo, tag)
		if err == nil && d != not {
			return d
		}
		if err != nil && !errors.Is(err, oci.ErrUnknown) {
			e.t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("tag %s did not move from %q", tag, not)
	return ""
}

// eventuallyGone waits until tag no longer resolves.
func (e *env) eventuallyGone(tag string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := e.reg.ResolveTag(e.ctx, repo, tag); errors.Is(err, oci.ErrUnknown) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("tag %s was not deleted", tag)
}

// blob reads blob d of the repository.
func (e *env) blob(d digest.Digest) []byte {
	e.t.Helper()
	rc, err := e.store.Open(e.ctx, repo, d, 0, -1)
	if err != nil {
		e.t.Fatalf("open %s: %v", d, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// manifest reads and parses the manifest d.
func (e *env) manifest(d digest.Digest) ocispec.Manifest {
	e.t.Helper()
	var m ocispec.Manifest
	if err := json.Unmarshal(e.blob(d), &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// layerDigests lists the layer digests of manifest d by file path.
func (e *env) layerDigests(d digest.Digest) map[string]digest.Digest {
	e.t.Helper()
	out := map[string]digest.Digest{}
	for _, l := range e.manifest(d).Layers {
		out[l.Annotations["org.cncf.model.filepath"]] = l.Digest
	}
	return out
}
