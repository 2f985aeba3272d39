package lfsserver

import (
	"net/http"
	"sync"
	"testing"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
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

func TestDownloadsAreRecorded(t *testing.T) {
	sink := &pullSink{}
	e := newEnv(t, func(c *Config) { c.Pulls = sink })
	oid := e.store.add(testRepo, []byte("0123456789"))
	url := e.lfsURL(testRepo) + "/objects/" + oid

	for _, tc := range []struct {
		method, rng, token string
		status             int
	}{
		{http.MethodGet, "", tokReader, http.StatusOK},
		{http.MethodGet, "bytes=0-3", tokReader, http.StatusPartialContent},
		{http.MethodGet, "bytes=4-", tokReader, http.StatusPartialContent}, // continues a pull: not recorded
		{http.MethodHead, "", tokReader, http.StatusOK},                    // not a pull
		{http.MethodGet, "", tokOther, http.StatusForbidden},
	} {
		var headers []string
		if tc.rng != "" {
			headers = []string{"Range", tc.rng}
		}
		resp := e.do(tc.method, url, tc.token, nil, headers...)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("%s %s: %d, want %d", tc.method, tc.rng, resp.StatusCode, tc.status)
		}
	}
	want := pulllog.PullEvent{Repo: testRepo, Digest: "sha256:" + oid, Kind: pulllog.Blob, Protocol: pulllog.LFS, User: "bob", TokenID: "tok-bob"}
	if len(sink.evs) != 2 || sink.evs[0] != want || sink.evs[1] != want {
		t.Fatalf("recorded %+v, want two of %+v", sink.evs, want)
	}
}
