package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/testkit/dbtest"
	"github.com/ballastml/ballast/internal/testkit/pgtest"
)

// TestPostgresRestart: while PostgreSQL is down, requests fail at once
// with 503 and Retry-After (Git LFS, the registry, the JSON API) and
// /readyz says not ready; once it is back the same server serves again,
// with no restart, and what it acknowledged is there.
func TestPostgresRestart(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	s := startServer(t)
	s.stop()
	s.args = append(s.args, "--db", dbtest.NewPostgres(t, pg.DSN("postgres")))
	s.start()
	const repo = "ml/pgrestart"
	token := s.createToken(t, "ci", repo+":write")
	data, oid := randomObject(3, 1<<20)
	s.upload(t, token, repo, oid, int64(len(data)), bytes.NewReader(data))

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	resp, body := s.do(t, token, http.MethodPost, s.batchURL(repo),
		map[string]string{"Content-Type": lfsMediaType, "Accept": lfsMediaType},
		strings.NewReader(`{"operation":"download","objects":[{"oid":"`+oid+`","size":1048576}]}`))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("LFS batch while PostgreSQL is down: %d (Retry-After %q) %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	r := s.ociDo(t, token, http.MethodGet, "/v2/"+repo+"/blobs/sha256:"+oid, nil, nil)
	if r.status != http.StatusServiceUnavailable || !bytes.Contains(r.body, []byte("UNAVAILABLE")) {
		t.Errorf("registry GET while PostgreSQL is down: %d %.200q, want 503 UNAVAILABLE", r.status, r.body)
	}
	resp, body = s.do(t, token, http.MethodGet, s.url+"/api/v1/repos", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /api/v1/repos while PostgreSQL is down: %d %s, want 503", resp.StatusCode, body)
	}
	if resp, _ := s.do(t, "", http.MethodGet, s.url+"/readyz", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while PostgreSQL is down: %d, want 503", resp.StatusCode)
	}

	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	if got, n := s.downloadSHA256(t, token, repo, oid, int64(len(data))); got != oid || n != int64(len(data)) {
		t.Errorf("after PostgreSQL came back: %d bytes hashing to %s", n, got)
	}
	more, moreOID := randomObject(4, 1<<20)
	s.upload(t, token, repo, moreOID, int64(len(more)), bytes.NewReader(more))
	if resp, _ := s.do(t, "", http.MethodGet, s.url+"/readyz", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz after PostgreSQL came back: %d, want 200", resp.StatusCode)
	}
}
