package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/httpapi/api"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
)

// ballast pulls and ballast live show the pull log of the repositories the
// token can read.
func TestPullsAndLiveCommands(t *testing.T) {
	ctx := context.Background()
	d, err := db.OpenSQLite(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	log := slog.New(slog.DiscardHandler)
	rec := pulllog.New(d, pulllog.Options{Logger: log})
	digest := "sha256:" + strings.Repeat("ab", 32)
	now := time.Now()
	for i, repo := range []string{"ml/x", "ml/x", "secret/y"} {
		rec.Record(pulllog.PullEvent{Time: now.Add(-time.Duration(i) * time.Minute), Repo: repo, Digest: digest,
			Reference: "v1", Kind: pulllog.Manifest, Protocol: pulllog.OCI, User: "kubelet"})
	}
	if err := rec.Close(); err != nil { // flushes
		t.Fatal(err)
	}
	pulls := pulllog.New(d, pulllog.Options{Logger: log})
	t.Cleanup(func() { pulls.Close() })
	tokens := auth.NewTokens(d)
	srv := httptest.NewServer(api.New(api.Config{
		Index: gitindex.New(d, filepath.Join(t.TempDir(), "git"), log),
		Pulls: pulls, Auth: auth.NewAuthenticator(tokens, false), Logger: log,
	}))
	t.Cleanup(srv.Close)
	sc, _ := auth.ParseScope("ml/*:read")
	secret, _, err := tokens.Create(ctx, "alice", []auth.Scope{sc}, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("BALLAST_URL", srv.URL)
	t.Setenv("BALLAST_TOKEN", secret)

	out := mustRun(t, "pulls")
	if !containsLine(out, "ml/x", shortDigest(digest), "v1", "oci", "kubelet") || strings.Contains(out, "secret/y") {
		t.Fatalf("pulls printed:\n%s", out)
	}
	var events []pulllog.PullEvent
	if err := json.Unmarshal([]byte(mustRun(t, "pulls", "--json", "--limit", "1")), &events); err != nil || len(events) != 1 {
		t.Fatalf("pulls --json --limit 1: %v %v", events, err)
	}
	out = mustRun(t, "live", "ml/x")
	if !containsLine(out, shortDigest(digest), "v1", "2", "1") {
		t.Fatalf("live printed:\n%s", out)
	}
	if _, err := run(t, "live", "secret/y"); err == nil {
		t.Fatal("live of a repository the token cannot read succeeded")
	}
}
