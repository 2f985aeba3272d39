package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestRepoCreateAndStats(t *testing.T) {
	url, token := apiServer(t)
	admin := []string{"--server", url, "--token", token("root", "*:admin")}
	reader := []string{"--server", url, "--token", token("alice", "ml/*:read")}
	if out := mustRun(t, append([]string{"repo", "create", "ml/a"}, admin...)...); !strings.Contains(out, "Created ml/a") {
		t.Fatalf("repo create: %q", out)
	}
	if _, err := run(t, append([]string{"repo", "create", "ml/b"}, reader...)...); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a reader's repo create: %v, want a 403", err)
	}
	data := bytes.Repeat([]byte("weights "), 100_000)
	if _, err := testStore.Put(context.Background(), "ml/a", digest.FromBytes(data), int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, append([]string{"stats"}, reader...)...)
	if !strings.Contains(out, "ml/a") || !strings.Contains(out, "781 KiB") || strings.Contains(out, "Store:") {
		t.Fatalf("stats of a reader:\n%s", out)
	}
	out = mustRun(t, append([]string{"stats"}, admin...)...)
	if !strings.Contains(out, "Store: 1 blobs, 781 KiB") || !strings.Contains(out, "smaller") {
		t.Fatalf("stats of an admin:\n%s", out)
	}
}
