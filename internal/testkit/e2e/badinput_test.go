package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// badRepo is the repository TestBadInput works in.
const badRepo = "ml/bad"

// invalidOids are object ids the server must refuse: the Git LFS oid of
// the sha256 hash algorithm is exactly 64 lower-case hex digits.
var invalidOids = map[string]string{
	"short":     "a345cde",
	"long":      strings.Repeat("ab", 33),
	"upper":     strings.Repeat("AB", 32),
	"non-hex":   strings.Repeat("g", 64),
	"traversal": "../" + strings.Repeat("a", 61),
	"nul":       strings.Repeat("a", 63) + "\x00",
}

// TestBadInput sends the real server input no well-behaved client sends,
// and checks each gets a clear error and stores nothing. The subtests share
// one server and use the admin token, so only the input is at fault.
func TestBadInput(t *testing.T) {
	s := startServer(t)
	s.seed(t, badRepo)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *server)
	}{
		{"batch invalid oids", testBatchInvalidOids},
		{"batch negative size", testBatchNegativeSize},
		{"object paths with invalid oids", testPathInvalidOids},
		{"wrong digest", testWrongDigest},
		{"body longer than the object", testBodyLongerThanObject},
		{"body shorter than the object", testBodyShorterThanObject},
		{"body shorter than Content-Length", testBodyShorterThanContentLength},
		{"body longer than Content-Length", testBodyLongerThanContentLength},
		{"oversized batch body", testOversizedBatch},
		{"too many objects", testTooManyObjects},
		{"unknown operation", testUnknownOperation},
		{"repository traversal", testRepoTraversal},
		{"bad range", testBadRange},
		{"expired token", testExpiredToken},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, s) })
	}
}

func testBatchInvalidOids(t *testing.T, s *server) {
	valid := sha256Hex(randomBytes(10))
	for _, op := range []string{"upload", "download"} {
		objs := []lfsObject{{Oid: valid, Size: 10}}
		for _, oid := range invalidOids {
			objs = append(objs, lfsObject{Oid: oid, Size: 10})
		}
		code, br := s.batch(t, s.admin, badRepo, op, objs...)
		if code != http.StatusOK {
			t.Errorf("batch %s with invalid oids: status %d, want 200 with per-object errors", op, code)
			continue
		}
		if len(br.Objects) != len(objs) {
			t.Errorf("batch %s: %d objects in the answer, want %d", op, len(br.Objects), len(objs))
		}
		got := map[string]lfsObject{}
		for _, o := range br.Objects {
			got[o.Oid] = o
		}
		for kind, oid := range invalidOids {
			o, ok := got[oid]
			if !ok {
				t.Errorf("batch %s: no entry for the %s oid %q", op, kind, oid)
			} else if len(o.Actions) != 0 || o.Error == nil || o.Error.Code != http.StatusUnprocessableEntity {
				t.Errorf("batch %s: %s oid %q: %+v, want a per-object 422 and no actions", op, kind, oid, o)
			}
		}
		if _, ok := got[valid].Actions["upload"]; op == "upload" && !ok {
			t.Errorf("batch upload: the valid oid next to invalid ones got %+v, want an upload action", got[valid])
		}
	}
}

func testBatchNegativeSize(t *testing.T, s *server) {
	oid := sha256Hex(randomBytes(11))
	for _, op := range []string{"upload", "download"} {
		o := s.batchOne(t, s.admin, badRepo, op, oid, -1)
		if len(o.Actions) != 0 || o.Error == nil || o.Error.Code != http.StatusUnprocessableEntity {
			t.Errorf("batch %s of size -1: %+v, want a per-object 422 and no actions", op, o)
		}
	}
}

// testPathInvalidOids sends the invalid oids, URL-escaped, in basic
// transfer paths. A raw connection sends each path exactly as written.
func testPathInvalidOids(t *testing.T, s *server) {
	body := randomBytes(10)
	for kind, oid := range invalidOids {
		path := "/" + badRepo + ".git/info/lfs/objects/" + url.PathEscape(oid)
		put := fmt.Sprintf("PUT %s HTTP/1.1\r\n%sContent-Length: %d\r\n", path, basicAuth(s.admin), len(body))
		if r := s.raw(t, put, body, false); r.status < 400 || r.status > 499 {
			t.Errorf("PUT %s (%s oid): status %d (%v), want 4xx", path, kind, r.status, r.err)
		}
		get := fmt.Sprintf("GET %s HTTP/1.1\r\n%s", path, basicAuth(s.admin))
		if r := s.raw(t, get, nil, false); r.status < 400 || r.status > 499 {
			t.Errorf("GET %s (%s oid): status %d (%v), want 4xx", path, kind, r.status, r.err)
		}
	}
}

func testWrongDigest(t *testing.T, s *server) {
	content := randomBytes(1000)
	oid := sha256Hex(content)
	wrong := bytes.Clone(content)
	wrong[500] ^= 1
	resp, msg := s.do(t, s.admin, http.MethodPut, s.objectURL(badRepo, oid), nil, bytes.NewReader(wrong))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("PUT with a wrong digest: status %d, want 422: %s", resp.StatusCode, msg)
	}
	assertJSONError(t, "PUT with a wrong digest", resp, msg)
	s.assertMissing(t, s.admin, badRepo, oid, 1000)
	if resp, msg := s.do(t, s.admin, http.MethodGet, s.objectURL(badRepo, oid), nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET after a refused PUT: status %d, want 404: %.100q", resp.StatusCode, msg)
	}
}

func testBodyLongerThanObject(t *testing.T, s *server) {
	content := randomBytes(1000)
	oid := sha256Hex(content)
	long := append(bytes.Clone(content), randomBytes(500)...)
	resp, msg := s.do(t, s.admin, http.MethodPut, s.objectURL(badRepo, oid), nil, bytes.NewReader(long))
	if resp.StatusCode < 400 || resp.StatusCode > 499 {
		t.Errorf("PUT of 1500 bytes for a 1000-byte object: status %d, want 4xx: %s", resp.StatusCode, msg)
	}
	s.assertMissing(t, s.admin, badRepo, oid, 1000)
}

func testBodyShorterThanObject(t *testing.T, s *server) {
	content := randomBytes(1500)
	oid := sha256Hex(content)
	resp, msg := s.do(t, s.admin, http.MethodPut, s.objectURL(badRepo, oid), nil, bytes.NewReader(content[:1000]))
	if resp.StatusCode < 400 || resp.StatusCode > 499 {
		t.Errorf("PUT of 1000 bytes for a 1500-byte object: status %d, want 4xx: %s", resp.StatusCode, msg)
	}
	s.assertMissing(t, s.admin, badRepo, oid, 1500)
}

// testBodyShorterThanContentLength declares 1500 bytes, sends 1000 and
// half-closes the connection.
func testBodyShorterThanContentLength(t *testing.T, s *server) {
	content := randomBytes(1500)
	oid := sha256Hex(content)
	head := fmt.Sprintf("PUT /%s.git/info/lfs/objects/%s HTTP/1.1\r\n%sContent-Length: 1500\r\n", badRepo, oid, basicAuth(s.admin))
	r := s.raw(t, head, content[:1000], true)
	if r.status != 0 && (r.status < 400 || r.status > 499) {
		t.Errorf("PUT whose body ends before Content-Length: status %d, want 4xx or no answer", r.status)
	}
	s.assertMissing(t, s.admin, badRepo, oid, 1500)
}

// testBodyLongerThanContentLength sends all 1500 bytes the oid names after
// a Content-Length of 1000: the server must take 1000 bytes, find they do
// not match, and not read the rest as part of the object.
func testBodyLongerThanContentLength(t *testing.T, s *server) {
	content := randomBytes(1500)
	oid := sha256Hex(content)
	head := fmt.Sprintf("PUT /%s.git/info/lfs/objects/%s HTTP/1.1\r\n%sContent-Length: 1000\r\n", badRepo, oid, basicAuth(s.admin))
	r := s.raw(t, head, content, false)
	if r.status < 400 || r.status > 499 {
		t.Errorf("PUT with more body than Content-Length: status %d (%v), want 4xx", r.status, r.err)
	}
	s.assertMissing(t, s.admin, badRepo, oid, 1500)
}

// testOversizedBatch posts a 64 MiB batch request over a raw connection: the
// server may answer before reading it all, which net/http's client does not
// always report.
func testOversizedBatch(t *testing.T, s *server) {
	var b bytes.Buffer
	b.WriteString(`{"operation":"download","objects":[`)
	for i := 0; b.Len() < 64<<20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"oid":"%064x","size":1}`, i)
	}
	b.WriteString(`]}`)
	head := fmt.Sprintf("POST /%s.git/info/lfs/objects/batch HTTP/1.1\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n", badRepo, basicAuth(s.admin), lfsMediaType, b.Len())
	r := s.raw(t, head, b.Bytes(), false)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("batch of %d MiB: status %d (%v), want 413", b.Len()>>20, r.status, r.err)
	}
}

func testTooManyObjects(t *testing.T, s *server) {
	objs := make([]lfsObject, 100_000)
	for i := range objs {
		objs[i] = lfsObject{Oid: fmt.Sprintf("%064x", i), Size: 1}
	}
	if code, _ := s.batch(t, s.admin, badRepo, "download", objs...); code != http.StatusRequestEntityTooLarge {
		t.Errorf("batch of %d objects: status %d, want 413", len(objs), code)
	}
}

func testUnknownOperation(t *testing.T, s *server) {
	req := fmt.Sprintf(`{"operation":"delete","objects":[{"oid":%q,"size":1}]}`, sha256Hex(nil))
	resp, body := s.batchRaw(t, s.admin, badRepo, []byte(req))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("batch operation delete: status %d, want 422: %s", resp.StatusCode, body)
	}
	assertJSONError(t, "batch operation delete", resp, body)
}

// testRepoTraversal sends dot segments, plain and escaped, in repository
// names. Each must be refused with a JSON error, not cleaned, redirected or
// served.
func testRepoTraversal(t *testing.T, s *server) {
	req := []byte(fmt.Sprintf(`{"operation":"download","objects":[{"oid":%q,"size":1}]}`, sha256Hex(nil)))
	for _, path := range []string{
		"/../x.git/info/lfs/objects/batch",
		"/ml/../../x.git/info/lfs/objects/batch",
		"/ml/%2e%2e/x.git/info/lfs/objects/batch",
		"/ml/..%2fx.git/info/lfs/objects/batch",
		"/ml%2f..%2f..%2fx.git/info/lfs/objects/batch",
		"/ml/./x.git/info/lfs/objects/batch",
	} {
		head := fmt.Sprintf("POST %s HTTP/1.1\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n", path, basicAuth(s.admin), lfsMediaType, len(req))
		r := s.raw(t, head, req, false)
		if r.status < 400 || r.status > 499 {
			t.Errorf("POST %s: status %d (Location %q, error %v), want 4xx", path, r.status, r.header.Get("Location"), r.err)
			continue
		}
		assertJSONError(t, "POST "+path, &http.Response{Header: r.header}, r.body)
	}
}

func testBadRange(t *testing.T, s *server) {
	content := randomBytes(1000)
	oid := sha256Hex(content)
	s.upload(t, s.admin, badRepo, oid, int64(len(content)), bytes.NewReader(content))
	get := func(rng string) (*http.Response, []byte) {
		return s.do(t, s.admin, http.MethodGet, s.objectURL(badRepo, oid), map[string]string{"Range": rng}, nil)
	}
	resp, body := get("bytes=100-199")
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != "bytes 100-199/1000" || !bytes.Equal(body, content[100:200]) {
		t.Errorf("GET Range bytes=100-199: status %d, Content-Range %q, %d bytes (right bytes: %v); want 206, bytes 100-199/1000 and those bytes",
			resp.StatusCode, resp.Header.Get("Content-Range"), len(body), bytes.Equal(body, content[100:200]))
	}
	for _, rng := range []string{"bytes=1000-", "bytes=5000-6000"} {
		if resp, body := get(rng); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("GET Range %s of a 1000-byte object: status %d, want 416: %.100q", rng, resp.StatusCode, body)
		}
	}
}

// testExpiredToken creates a token that expires after a second and one that
// lasts an hour, waits two seconds, and expects only the first refused.
func testExpiredToken(t *testing.T, s *server) {
	obj := lfsObject{Oid: sha256Hex(nil), Size: 0}
	lasting := s.createTokenArgs(t, "erin", []string{"--expires", "1h"}, badRepo+":read")
	short := s.createTokenArgs(t, "eve", []string{"--expires", "1s"}, badRepo+":read")
	time.Sleep(2100 * time.Millisecond)
	if code, _ := s.batch(t, lasting, badRepo, "download", obj); code != http.StatusOK {
		t.Errorf("batch with a token expiring in 1h: status %d, want 200", code)
	}
	if code, _ := s.batch(t, short, badRepo, "download", obj); code != http.StatusUnauthorized {
		t.Errorf("batch with a token expired 1s ago: status %d, want 401", code)
	}
}
