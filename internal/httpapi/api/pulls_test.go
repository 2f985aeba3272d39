package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/httpapi/api"
)

// record records evs and waits until the pull log holds them.
func (e *env) record(evs ...pulllog.PullEvent) {
	e.t.Helper()
	for _, ev := range evs {
		e.pulls.Record(ev)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got, _, err := e.pulls.List(context.Background(), pulllog.Filter{}, 1000, "")
		if err != nil {
			e.t.Fatal(err)
		}
		if len(got) >= len(evs) {
			return
		}
	}
	e.t.Fatal("the pull log did not write the events")
}

func digest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

func TestPulls(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC().Truncate(time.Second)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	e.record(
		pulllog.PullEvent{Time: ago(3 * time.Hour), Repo: "ml/a", Digest: digest('1'), Reference: "v1", Kind: pulllog.Manifest, Protocol: pulllog.OCI, User: "k8s", TokenID: "t1"},
		pulllog.PullEvent{Time: ago(2 * time.Hour), Repo: "ml/a", Digest: digest('a'), Kind: pulllog.Blob, Protocol: pulllog.LFS, User: "alice", TokenID: "t2"},
		pulllog.PullEvent{Time: ago(time.Hour), Repo: "ml/b", Digest: digest('b'), Kind: pulllog.Blob, Protocol: pulllog.OCI, User: "bob", TokenID: "t3"},
		pulllog.PullEvent{Time: ago(time.Minute), Repo: "ml/a", Digest: digest('2'), Reference: "v2", Kind: pulllog.Manifest, Protocol: pulllog.OCI, User: "k8s", TokenID: "t1"},
	)
	admin := e.token("root", "*:admin")
	reader := e.token("alice", "ml/a:read")
	nobody := e.token("eve", "other/*:write")

	var p api.Pulls
	e.get("/api/v1/pulls", admin, &p)
	if len(p.Pulls) != 4 || p.Pulls[0].Digest != digest('2') || p.Pulls[0].Reference != "v2" || !p.Pulls[0].Time.Equal(ago(time.Minute)) {
		t.Fatalf("admin's pull log: %+v", p)
	}
	e.get("/api/v1/pulls", reader, &p)
	if len(p.Pulls) != 3 {
		t.Fatalf("ml/a's reader sees %d pulls, want ml/a's 3: %+v", len(p.Pulls), p)
	}
	for _, ev := range p.Pulls {
		if ev.Repo != "ml/a" {
			t.Fatalf("ml/a's reader sees a pull of %s", ev.Repo)
		}
	}
	e.get("/api/v1/pulls", nobody, &p)
	if len(p.Pulls) != 0 || p.Pulls == nil {
		t.Fatalf("a token without read sees %+v", p)
	}

	tests := []struct {
		query string
		want  int
	}{
		{"repo=ml/a", 3},
		{"repo=ml/b", 1},
		{"digest=" + digest('a'), 1},
		{"digest=" + strings.Repeat("a", 64), 1},
		{"user=k8s", 2},
		{"since=90m", 2},
		{"since=" + url.QueryEscape(ago(150*time.Minute).Format(time.RFC3339)), 3},
		{"until=90m", 2},
		{"repo=ml/a&user=k8s&since=2h", 1},
	}
	for _, tt := range tests {
		e.get("/api/v1/pulls?"+tt.query, admin, &p)
		if len(p.Pulls) != tt.want {
			t.Errorf("%s: %d pulls, want %d", tt.query, len(p.Pulls), tt.want)
		}
	}

	resp := e.get("/api/v1/pulls?limit=3", admin, &p)
	if len(p.Pulls) != 3 || p.NextCursor == "" || !strings.Contains(resp.Header.Get("Link"), "cursor="+p.NextCursor) {
		t.Fatalf("page 1: %+v, Link %q", p, resp.Header.Get("Link"))
	}
	e.get("/api/v1/pulls?limit=3&cursor="+p.NextCursor, admin, &p)
	if len(p.Pulls) != 1 || p.Pulls[0].User != "k8s" || p.NextCursor != "" {
		t.Fatalf("page 2: %+v", p)
	}

	for _, q := range []string{"since=yesterday", "until=-1h", "limit=-1", "digest=abc", "repo=ML", "cursor=%21"} {
		resp, b := e.do(http.MethodGet, "/api/v1/pulls?"+q, admin, "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, resp.StatusCode, b)
		}
	}
	resp, b := e.do(http.MethodGet, "/api/v1/pulls?repo=ml/b", reader, "")
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
}

func TestLive(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC().Truncate(time.Second)
	pull := func(ago time.Duration, repo, d, ref, user string) pulllog.PullEvent {
		return pulllog.PullEvent{Time: now.Add(-ago), Repo: repo, Digest: d, Reference: ref, Kind: pulllog.Manifest, Protocol: pulllog.OCI, User: user}
	}
	e.record(
		pull(48*time.Hour, "ml/a", digest('0'), "v0", "k8s"),
		pull(3*time.Hour, "ml/a", digest('1'), "v1", "k8s"),
		pull(2*time.Hour, "ml/a", digest('2'), "v2", "k8s"),
		pull(time.Hour, "ml/a", digest('2'), "v2", "canary"),
		pull(time.Minute, "ml/b", digest('2'), "v2", "k8s"),
	)
	reader := e.token("alice", "ml/a:read")
	var l api.Live
	e.get("/api/v1/repos/ml/a/live", reader, &l)
	if l.Repo != "ml/a" || len(l.Digests) != 2 || l.Since.After(now.Add(-23*time.Hour)) {
		t.Fatalf("live in the last day: %+v", l)
	}
	if d := l.Digests[0]; d.Digest != digest('2') || d.Pulls != 2 || d.Users != 2 || d.LastReference != "v2" || !d.LastPull.Equal(now.Add(-time.Hour)) {
		t.Fatalf("most recent: %+v", d)
	}
	e.get("/api/v1/repos/ml/a/live?since=72h&limit=2", reader, &l)
	if len(l.Digests) != 2 || l.NextCursor == "" {
		t.Fatalf("page 1: %+v", l)
	}
	e.get("/api/v1/repos/ml/a/live?since=72h&limit=2&cursor="+l.NextCursor, reader, &l)
	if len(l.Digests) != 1 || l.Digests[0].LastReference != "v0" || l.NextCursor != "" {
		t.Fatalf("page 2: %+v", l)
	}
	e.get("/api/v1/repos/ml/never/live", e.token("root", "*:admin"), &l)
	if len(l.Digests) != 0 || l.Digests == nil {
		t.Fatalf("a repository nobody pulled: %+v", l)
	}
}
