package oci

import (
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/auth"
)

// pullSink is a PullRecorder that keeps what it is given.
type pullSink struct {
	mu  sync.Mutex
	evs []pulllog.PullEvent
}

func (p *pullSink) Record(ev pulllog.PullEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evs = append(p.evs, ev)
}

func (p *pullSink) events() []pulllog.PullEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pulllog.PullEvent(nil), p.evs...)
}

func TestPullsAreRecorded(t *testing.T) {
	e := newManifestEnv(t)
	sink := &pullSink{}
	h := New(Config{Store: e.store, Auth: auth.NewAuthenticator(e.tokens, false), DB: e.db,
		PublicURL: e.srv.URL, Logger: slog.New(slog.DiscardHandler), Pulls: sink})
	e.handler.Store(&h)
	reader := e.token("bob", "ml/*:read")

	m := e.pushImage("v1")
	e.put("v1", mtOCIManifest, m).want(t, http.StatusCreated)
	md := digest.FromBytes(m)
	layer := e.putBlob(mrepo, []byte("0123456789"))
	blob := "/v2/" + mrepo + "/blobs/" + layer.String()

	e.do(http.MethodGet, manifestPath("v1"), withBasic(reader)).want(t, http.StatusOK)
	e.do(http.MethodHead, manifestPath("v1"), withBasic(reader)).want(t, http.StatusOK)
	e.do(http.MethodGet, blob, withBasic(reader)).want(t, http.StatusOK)
	e.do(http.MethodGet, blob, withBasic(reader), withHeader("Range", "bytes=0-3")).want(t, http.StatusPartialContent)
	e.do(http.MethodGet, blob, withBasic(reader), withHeader("Range", "bytes=4-")).want(t, http.StatusPartialContent)
	e.do(http.MethodHead, blob, withBasic(reader)).want(t, http.StatusOK)
	e.do(http.MethodGet, blob).want(t, http.StatusUnauthorized)

	want := []pulllog.PullEvent{
		{Repo: mrepo, Digest: md.String(), Reference: "v1", Kind: pulllog.Manifest, Protocol: pulllog.OCI, User: "bob"},
		{Repo: mrepo, Digest: layer.String(), Kind: pulllog.Blob, Protocol: pulllog.OCI, User: "bob"},
		{Repo: mrepo, Digest: layer.String(), Kind: pulllog.Blob, Protocol: pulllog.OCI, User: "bob"},
	}
	got := sink.events()
	if len(got) != len(want) {
		t.Fatalf("recorded %+v, want %d events (GETs from offset 0 only)", got, len(want))
	}
	for i := range want {
		if got[i].TokenID == "" {
			t.Errorf("event %d has no token id", i)
		}
		got[i].TokenID = ""
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
