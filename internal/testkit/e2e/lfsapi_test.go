package e2e

import (
	"bufio"
	"bytes"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A direct Git LFS API client for the tests that need more control than
// the git-lfs client gives (Reference: git-lfs docs/api/batch.md and
// docs/api/basic-transfers.md).

const lfsMediaType = "application/vnd.git-lfs+json"

type lfsObject struct {
	Oid     string               `json:"oid"`
	Size    int64                `json:"size"`
	Actions map[string]lfsAction `json:"actions,omitempty"`
	Error   *lfsObjectError      `json:"error,omitempty"`
}

type lfsAction struct {
	Href      string            `json:"href"`
	Header    map[string]string `json:"header,omitempty"`
	ExpiresIn int               `json:"expires_in,omitempty"`
}

type lfsObjectError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type batchResponse struct {
	Transfer string      `json:"transfer"`
	Objects  []lfsObject `json:"objects"`
	HashAlgo string      `json:"hash_algo"`
}

// httpClient never follows redirects, so a test sees what the server said.
var httpClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       5 * time.Minute,
}

// do sends a request with token as the Basic password (no Authorization
// header when token is empty) and returns the response with its body read.
func (s *server) do(t *testing.T, token, method, url string, header map[string]string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.SetBasicAuth("e2e", token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, b
}

// batchURL is the batch endpoint of repo.
func (s *server) batchURL(repo string) string {
	return s.url + "/" + repo + ".git/info/lfs/objects/batch"
}

// objectURL is the basic-transfer URL of oid in repo.
func (s *server) objectURL(repo, oid string) string {
	return s.url + "/" + repo + ".git/info/lfs/objects/" + oid
}

// batchRaw posts body to the batch endpoint of repo.
func (s *server) batchRaw(t *testing.T, token, repo string, body []byte) (*http.Response, []byte) {
	t.Helper()
	h := map[string]string{"Content-Type": lfsMediaType, "Accept": lfsMediaType}
	return s.do(t, token, http.MethodPost, s.batchURL(repo), h, bytes.NewReader(body))
}

// batch calls the batch API and returns the status and the decoded response
// (decoded only on 200).
func (s *server) batch(t *testing.T, token, repo, op string, objs ...lfsObject) (int, batchResponse) {
	t.Helper()
	req, err := json.Marshal(map[string]any{"operation": op, "transfers": []string{"basic"}, "objects": objs})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := s.batchRaw(t, token, repo, req)
	var br batchResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &br); err != nil {
			t.Fatalf("batch %s %s: bad JSON response: %v\n%s", op, repo, err, body)
		}
	}
	return resp.StatusCode, br
}

// batchOne calls the batch API for one object, expects 200 and returns the
// object's entry.
func (s *server) batchOne(t *testing.T, token, repo, op, oid string, size int64) lfsObject {
	t.Helper()
	code, br := s.batch(t, token, repo, op, lfsObject{Oid: oid, Size: size})
	if code != http.StatusOK {
		t.Fatalf("batch %s of %s in %s: status %d, want 200", op, oid, repo, code)
	}
	if len(br.Objects) != 1 || br.Objects[0].Oid != oid {
		t.Fatalf("batch %s of %s in %s: objects %+v, want exactly that object", op, oid, repo, br.Objects)
	}
	return br.Objects[0]
}

// seed uploads a small random object to repo with the admin token, so the
// repository exists: a batch download from a repository that does not
// exist fails as a whole (404), one from an existing repository reports
// each missing object.
func (s *server) seed(t *testing.T, repo string) {
	t.Helper()
	b := randomBytes(100)
	s.upload(t, s.admin, repo, sha256Hex(b), int64(len(b)), bytes.NewReader(b))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	crand.Read(b)
	return b
}

// assertMissing checks that the batch API reports oid missing from repo (an
// existing repository, see seed): a download gets a per-object 404 and no
// download action.
func (s *server) assertMissing(t *testing.T, token, repo, oid string, size int64) {
	t.Helper()
	o := s.batchOne(t, token, repo, "download", oid, size)
	if _, ok := o.Actions["download"]; ok || o.Error == nil || o.Error.Code != http.StatusNotFound {
		t.Errorf("batch download of %s in %s: %+v, want a per-object 404 and no download action (object must be missing)", oid, repo, o)
	}
}

// upload stores body (of size bytes, hashing to oid) in repo as the git-lfs
// client does: batch, PUT to the upload action, POST to the verify action.
func (s *server) upload(t *testing.T, token, repo, oid string, size int64, body io.Reader) {
	t.Helper()
	o := s.batchOne(t, token, repo, "upload", oid, size)
	if o.Error != nil {
		t.Fatalf("batch upload of %s: error %+v", oid, o.Error)
	}
	up, ok := o.Actions["upload"]
	if !ok {
		t.Fatalf("batch upload of %s (not stored yet): no upload action in %+v", oid, o)
	}
	req, err := http.NewRequest(http.MethodPut, up.Href, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth("e2e", token)
	req.Header.Set("Content-Type", "application/octet-stream")
	for k, v := range up.Header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", up.Href, err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT %s: status %d, want 200: %s", up.Href, resp.StatusCode, msg)
	}
	if v, ok := o.Actions["verify"]; ok {
		h := map[string]string{"Content-Type": lfsMediaType, "Accept": lfsMediaType}
		for k, val := range v.Header {
			h[k] = val
		}
		vb, _ := json.Marshal(lfsObject{Oid: oid, Size: size})
		resp, msg := s.do(t, token, http.MethodPost, v.Href, h, bytes.NewReader(vb))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("verify %s: status %d, want 200: %s", oid, resp.StatusCode, msg)
		}
	}
}

// downloadSHA256 downloads oid from repo through the batch API's download
// action and returns the sha256 (hex) and length of the bytes received.
func (s *server) downloadSHA256(t *testing.T, token, repo, oid string, size int64) (string, int64) {
	t.Helper()
	o := s.batchOne(t, token, repo, "download", oid, size)
	dl, ok := o.Actions["download"]
	if !ok {
		t.Fatalf("batch download of %s in %s: no download action in %+v", oid, repo, o)
	}
	req, err := http.NewRequest(http.MethodGet, dl.Href, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("e2e", token)
	for k, v := range dl.Header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", dl.Href, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: status %d, want 200: %s", dl.Href, resp.StatusCode, msg)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body after %d bytes: %v", dl.Href, n, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

// assertJSONError checks that an error response carries a JSON body with a
// message, as the Git LFS API requires.
func assertJSONError(t *testing.T, what string, resp *http.Response, body []byte) {
	t.Helper()
	var e struct {
		Message string `json:"message"`
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Errorf("%s: Content-Type %q, want a JSON error (body %q)", what, ct, body)
		return
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Message == "" {
		t.Errorf("%s: body %q, want a JSON object with a message", what, body)
	}
}

// rawResponse is what a raw request got back.
type rawResponse struct {
	status int // 0: the connection ended without a response
	header http.Header
	body   []byte
	err    error // why no response was read
}

// raw sends head (request line and headers, CRLF-terminated, without the
// blank line) and body over a fresh TCP connection exactly as given, so the
// request can be one net/http would refuse to send. With closeWrite the
// client half-closes after the body. It reads one response.
func (s *server) raw(t *testing.T, head string, body []byte, closeWrite bool) rawResponse {
	t.Helper()
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	go func() {
		// The server may answer and close before reading everything; write
		// errors are expected then and the response tells the story.
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "%sHost: %s\r\nConnection: close\r\n\r\n", head, s.addr)
		w.Write(body)
		w.Flush()
		if closeWrite {
			conn.(*net.TCPConn).CloseWrite()
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return rawResponse{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// basicAuth is an Authorization header line for token.
func basicAuth(token string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth("e2e", token)
	return "Authorization: " + req.Header.Get("Authorization") + "\r\n"
}
