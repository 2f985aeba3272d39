package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/ballastml/ballast/internal/testkit/miniotest"
)

// TestS3Outage: while MinIO is down, pushes and pulls fail at once with a
// 503 that says to retry (Git LFS and the registry alike) and record
// nothing; once it is back, the same server serves and stores again, with
// no restart, and what it acknowledged before is intact.
func TestS3Outage(t *testing.T) {
	requireTools(t, "minio")
	srv, err := miniotest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.MakeBucket(t.Context(), "outage"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t)
	// Point this server, whatever the package's mode, at its own MinIO.
	s.stop()
	s.args = append(s.args, "--store", "s3://outage/b", "--s3-endpoint", srv.URL(), "--s3-path-style")
	s.env = srv.Env()
	s.start()
	const repo = "ml/outage"
	token := s.createToken(t, "ci", repo+":write")

	before, beforeOID := randomObject(1, 3<<20)
	s.upload(t, token, repo, beforeOID, int64(len(before)), bytes.NewReader(before))

	srv.Stop()
	during, duringOID := randomObject(2, 2<<20)
	o := s.batchOne(t, token, repo, "upload", duringOID, int64(len(during)))
	if up, ok := o.Actions["upload"]; ok {
		resp, body := s.do(t, token, http.MethodPut, up.Href, map[string]string{"Content-Type": "application/octet-stream"}, bytes.NewReader(during))
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("LFS PUT while MinIO is down: %d (Retry-After %q) %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	} else {
		t.Errorf("batch upload while MinIO is down: %+v, want an upload action (the metadata is up)", o)
	}
	r := s.ociDo(t, token, http.MethodGet, "/v2/"+repo+"/blobs/sha256:"+beforeOID, nil, nil)
	if r.status != http.StatusServiceUnavailable || !bytes.Contains(r.body, []byte("UNAVAILABLE")) {
		t.Errorf("registry blob GET while MinIO is down: %d %s, want 503 UNAVAILABLE", r.status, r.body)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if got, n := s.downloadSHA256(t, token, repo, beforeOID, int64(len(before))); got != beforeOID || n != int64(len(before)) {
		t.Errorf("after MinIO came back: the object pushed before reads as %d bytes hashing to %s", n, got)
	}
	s.upload(t, token, repo, duringOID, int64(len(during)), bytes.NewReader(during))
	if got, _ := s.downloadSHA256(t, token, repo, duringOID, int64(len(during))); got != duringOID {
		t.Errorf("the push retried after the outage reads back hashing to %s, want %s", got, duringOID)
	}
}

// randomObject returns n pseudo-random bytes and their sha256.
func randomObject(seed uint64, n int) ([]byte, string) {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}
