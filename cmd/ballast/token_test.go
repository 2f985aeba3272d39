package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/oci"
)

// tokenServer serves the admin API over a fresh DB and returns its URL,
// the token store and an admin secret. It clears BALLAST_URL and
// BALLAST_TOKEN so only what a test sets is seen.
func tokenServer(t *testing.T) (string, *auth.Tokens, string) {
	t.Helper()
	t.Setenv("BALLAST_URL", "")
	t.Setenv("BALLAST_TOKEN", "")
	d, err := db.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	tokens := auth.NewTokens(d)
	admin, err := tokens.EnsureAdmin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	gc := func(_ context.Context, p adminapi.GCParams) (adminapi.GCResult, error) {
		g := "1h0m0s"
		if p.Grace != nil {
			g = p.Grace.String()
		}
		res := adminapi.GCResult{Grace: g, Blobs: 2, Chunks: 40, Repacked: 2, CopiedBytes: 1 << 20, Packs: 1, FreedBytes: 3 << 20, DeadBytes: 5 << 20, StagedBytes: 7 << 20}
		if p.Compact {
			res.Compacted, res.CompactedBytes, res.StagedBytes = 1, 7<<20, 0
		}
		return res, nil
	}
	authn := auth.NewAuthenticator(tokens, false)
	mux := http.NewServeMux()
	mux.Handle("/v2/", oci.New(oci.Config{Auth: authn, Logger: logger})) // GET /v2/ checks a token (ballast login)
	mux.Handle("/", adminapi.New(tokens, authn, gc, logger))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, tokens, admin
}

// run executes the ballast command line and returns its stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func listJSON(t *testing.T, flags ...string) map[string]adminapi.Token {
	t.Helper()
	out, err := run(t, append([]string{"token", "list", "--json"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	var list adminapi.TokenList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json printed %q: %v", out, err)
	}
	byID := map[string]adminapi.Token{}
	for _, tok := range list.Tokens {
		byID[tok.ID] = tok
	}
	return byID
}

func TestTokenCommands(t *testing.T) {
	url, tokens, admin := tokenServer(t)
	conn := []string{"--server", url + "/", "--token", admin}

	out, err := run(t, append([]string{"token", "create", "-q", "--user", "alice",
		"--scope", "ml/*:write", "--scope", "data/*:read", "--expires", "720h"}, conn...)...)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(secret, auth.SecretPrefix) || strings.Contains(secret, "\n") {
		t.Fatalf("create -q printed %q, want the secret alone on a line", out)
	}
	id, err := tokens.Lookup(context.Background(), secret)
	if err != nil || id.User != "alice" || !id.Allows("ml/cat", auth.Write) || !id.Allows("data/x", auth.Read) {
		t.Fatalf("issued token grants %+v, %v", id, err)
	}

	listed := listJSON(t, conn...)
	tok, ok := listed[id.TokenID]
	if !ok || tok.User != "alice" || tok.ExpiresAt == nil || tok.RevokedAt != nil || tok.Secret != "" {
		t.Fatalf("list shows %+v (found %v), want alice's active token without its secret", tok, ok)
	}
	table, err := run(t, append([]string{"token", "list"}, conn...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "LAST USED") || !containsLine(table, id.TokenID, "alice", "ml/*:write,data/*:read") {
		t.Fatalf("list table lacks alice's token:\n%s", table)
	}

	if out, err = run(t, append([]string{"token", "revoke", id.TokenID}, conn...)...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, id.TokenID) {
		t.Errorf("revoke printed %q", out)
	}
	if listJSON(t, conn...)[id.TokenID].RevokedAt == nil {
		t.Fatal("list does not show the token as revoked")
	}
	if _, err := tokens.Lookup(context.Background(), secret); err == nil {
		t.Fatal("revoked secret still works")
	}
}

// containsLine reports whether some line of s holds every field.
func containsLine(s string, fields ...string) bool {
	for line := range strings.Lines(s) {
		all := true
		for _, f := range fields {
			all = all && strings.Contains(line, f)
		}
		if all {
			return true
		}
	}
	return false
}

func TestTokenCreateShowsSecretOnItsOwnLine(t *testing.T) {
	url, _, admin := tokenServer(t)
	t.Setenv("BALLAST_URL", url)
	t.Setenv("BALLAST_TOKEN", admin)
	out, err := run(t, "token", "create", "--user", "bob", "--scope", "ml/x:read")
	if err != nil {
		t.Fatal(err)
	}
	var secrets int
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, auth.SecretPrefix) && len(line) == len(auth.SecretPrefix)+52 {
			secrets++
		}
	}
	if secrets != 1 || !strings.Contains(out, "bob") || !strings.Contains(out, "never") {
		t.Fatalf("create printed:\n%s", out)
	}
}

func TestTokenCommandErrors(t *testing.T) {
	url, _, admin := tokenServer(t)
	tests := []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"missing server", []string{"token", "list", "--token", admin}, []string{"--server", "BALLAST_URL"}},
		{"missing token", []string{"token", "list", "--server", url}, []string{"--token", "BALLAST_TOKEN"}},
		{"not a URL", []string{"token", "list", "--server", "localhost:8080", "--token", admin}, []string{"http://"}},
		{"bad token", []string{"token", "list", "--server", url, "--token", "blst_nope"}, []string{"invalid", "401"}},
		{"bad scope", []string{"token", "create", "--user", "a", "--scope", "ml:owner", "--server", url, "--token", admin}, []string{"invalid scope", "owner", "400"}},
		{"unknown id", []string{"token", "revoke", "nosuchid", "--server", url, "--token", admin}, []string{"token not found", "404"}},
		{"sub-second expiry", []string{"token", "create", "--user", "a", "--scope", "ml:read", "--expires", "10ms", "--server", url, "--token", admin}, []string{"--expires"}},
		{"no scope", []string{"token", "create", "--user", "a", "--server", url, "--token", admin}, []string{"scope"}},
	}
	for _, tt := range tests {
		_, err := run(t, tt.args...)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestServerErrorWithoutJSONBody(t *testing.T) {
	srv := httptest.NewServer(nil) // DefaultServeMux: plain-text 404
	defer srv.Close()
	t.Setenv("BALLAST_URL", srv.URL)
	t.Setenv("BALLAST_TOKEN", "x")
	_, err := run(t, "token", "list")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "page not found") {
		t.Fatalf("error = %v, want the status and body text", err)
	}
}
