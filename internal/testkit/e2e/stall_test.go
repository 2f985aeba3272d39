package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A write token for one repository cannot hold up uploads of a digest to
// other repositories by starting an upload of it and stalling: the other
// uploads (Git LFS PUT and OCI monolithic POST) finish while it stalls,
// and the stalled body is cut off after --upload-stall-timeout, its
// partial upload discarded and nothing left in the repository or on disk.
func TestStalledUploadIsCutOff(t *testing.T) {
	s := startServer(t, "--upload-stall-timeout", "2s")
	tokA := s.createToken(t, "alice", "ml/a:write", "ml/a-oci:write")
	tokB := s.createToken(t, "mallory", "ml/b:write")
	s.seed(t, "ml/b")
	content := randomBytes(3 << 20)
	oid := sha256Hex(content)

	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /ml/b.git/info/lfs/objects/%s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
		oid, s.addr, basicAuth(tokB), len(content))
	if _, err := conn.Write(content[:1000]); err != nil {
		t.Fatal(err)
	}
	stalledAt := time.Now()

	client := &http.Client{Timeout: 60 * time.Second}
	put := func(method, url, token string) int {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("e2e", token)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s while another repository's upload of the digest stalls: %v", method, url, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := put(http.MethodPut, s.url+"/ml/a.git/info/lfs/objects/"+oid, tokA); st != http.StatusOK {
		t.Fatalf("LFS PUT to ml/a: %d", st)
	}
	if st := put(http.MethodPost, s.url+"/v2/ml/a-oci/blobs/uploads/?digest=sha256:"+oid, tokA); st != http.StatusCreated {
		t.Fatalf("OCI POST to ml/a-oci: %d", st)
	}
	if d := time.Since(stalledAt); d > 2*time.Second {
		t.Logf("note: the other uploads took %s (the stall timeout is 2s); they did not wait for it, or the second check would show it", d)
	}

	// The stalled connection is answered or closed by the server.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	switch {
	case err == nil && resp.StatusCode != http.StatusRequestTimeout:
		t.Fatalf("stalled upload answered %d, want 408", resp.StatusCode)
	case err != nil && isTimeout(err):
		t.Fatal("the server kept the stalled upload open for 30 s")
	}
	s.assertMissing(t, tokB, "ml/b", oid, int64(len(content)))

	// Nothing of the stalled upload stays on disk.
	tmp := filepath.Join(s.dataDir, "objects", ".tmp")
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "put-") {
			left = append(left, e.Name())
		}
	}
	if len(left) > 0 {
		t.Fatalf("temporary files left after the stalled upload ended: %s", strings.Join(left, ", "))
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
