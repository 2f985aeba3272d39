package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
)

// ociBadRepo is the repository TestOCIBadInput works in.
const ociBadRepo = "ml/ocibad"

var octetStream = map[string]string{"Content-Type": "application/octet-stream"}

// TestOCIBadInput sends the real server OCI requests no well-behaved client
// sends, and checks each gets the spec's status and error code and stores
// nothing. The subtests share one server and use the admin token, so only
// the input is at fault.
func TestOCIBadInput(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *server)
	}{
		{"wrong digests", testOCIWrongDigests},
		{"malformed digests", testOCIMalformedDigests},
		{"truncated bodies", testOCITruncatedBodies},
		{"oversized bodies", testOCIOversizedBodies},
		{"out-of-order chunks", testOCIOutOfOrderChunks},
		{"tampered upload locations", testOCITamperedLocations},
		{"unknown upload ids", testOCIUnknownUploads},
		{"invalid names", testOCIInvalidNames},
		{"long and invalid tags", testOCIInvalidTags},
		{"oversized manifest", testOCIOversizedManifest},
		{"manifest with unknown blobs", testOCIManifestUnknownBlobs},
		{"media type confusion", testOCIMediaTypeConfusion},
		{"huge page size", testOCIHugePageSize},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, s) })
	}
	if !s.running() {
		t.Fatal("ballast exited during the bad-input tests")
	}
}

// assertBlobMissing checks that HEAD of blob d in repo answers 404.
func assertBlobMissing(t *testing.T, s *server, repo, d string) {
	t.Helper()
	if r := s.ociDo(t, s.admin, http.MethodHead, "/v2/"+repo+"/blobs/"+d, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("HEAD blob %s in %s after a refused upload: status %d, want 404", d, repo, r.status)
	}
}

// requestURI is the path and query of the absolute URL u, for raw requests.
func requestURI(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.RequestURI()
}

func testOCIWrongDigests(t *testing.T, s *server) {
	content := randomBytes(1000)
	wrong := digestOf(randomBytes(1000))

	loc := s.startUpload(t, s.admin, ociBadRepo)
	r := s.ociDo(t, s.admin, http.MethodPut, withQuery(t, loc, "digest", wrong), octetStream, content)
	assertOCIError(t, "PUT of an upload with a digest the body does not hash to", r, http.StatusBadRequest, "DIGEST_INVALID")

	r = s.ociDo(t, s.admin, http.MethodPost, "/v2/"+ociBadRepo+"/blobs/uploads/?digest="+url.QueryEscape(wrong), octetStream, content)
	assertOCIError(t, "single POST with a digest the body does not hash to", r, http.StatusBadRequest, "DIGEST_INVALID")

	// A well-formed sha512 digest of other bytes.
	r = s.ociDo(t, s.admin, http.MethodPost, "/v2/"+ociBadRepo+"/blobs/uploads/?digest="+url.QueryEscape("sha512:"+strings.Repeat("ab", 64)), octetStream, content)
	assertOCIError(t, "single POST with a sha512 digest of other bytes", r, http.StatusBadRequest, "DIGEST_INVALID")

	for _, d := range []string{wrong, digestOf(content)} {
		assertBlobMissing(t, s, ociBadRepo, d)
	}
	r = s.ociDo(t, s.admin, http.MethodGet, "/v2/"+ociBadRepo+"/blobs/"+wrong, nil, nil)
	assertOCIError(t, "GET of a blob never stored", r, http.StatusNotFound, "BLOB_UNKNOWN")

	m, _ := s.pushImage(t, s.admin, ociBadRepo, "wrong-digest")
	r = s.putManifest(t, s.admin, ociBadRepo, digestOf(randomBytes(10)), mtManifest, m)
	assertOCIError(t, "PUT of a manifest by a digest it does not hash to", r, http.StatusBadRequest, "DIGEST_INVALID")
}

func testOCIMalformedDigests(t *testing.T, s *server) {
	content := randomBytes(100)
	hex := strings.TrimPrefix(digestOf(content), "sha256:")
	for _, d := range []string{
		"sha256:" + hex[:63],
		"sha256:" + hex + "0",
		"sha256:" + strings.ToUpper(hex),
		"sha256:" + strings.Repeat("g", 64),
		"SHA256:" + hex,
		"sha256" + hex,
		":" + hex,
		"sha256:../../" + hex[6:],
		"",
	} {
		loc := s.startUpload(t, s.admin, ociBadRepo)
		r := s.ociDo(t, s.admin, http.MethodPut, withQuery(t, loc, "digest", d), octetStream, content)
		assertOCIError(t, fmt.Sprintf("PUT of an upload with digest %q", d), r, http.StatusBadRequest, "DIGEST_INVALID")
	}
	assertBlobMissing(t, s, ociBadRepo, digestOf(content))
}

// testOCITruncatedBodies declares more bytes than it sends and half-closes
// the connection: nothing may be stored.
func testOCITruncatedBodies(t *testing.T, s *server) {
	content := randomBytes(2000)
	d := digestOf(content)
	loc := s.startUpload(t, s.admin, ociBadRepo)
	for what, target := range map[string]string{
		"PUT of an upload":     "PUT " + requestURI(t, withQuery(t, loc, "digest", d)),
		"single POST":          "POST /v2/" + ociBadRepo + "/blobs/uploads/?digest=" + url.QueryEscape(d),
		"PATCH of a new chunk": "PATCH " + requestURI(t, s.startUpload(t, s.admin, ociBadRepo)),
	} {
		head := fmt.Sprintf("%s HTTP/1.1\r\n%sContent-Type: application/octet-stream\r\nContent-Length: 2000\r\n", target, basicAuth(s.admin))
		if strings.HasPrefix(target, "PATCH") {
			head += "Content-Range: 0-1999\r\n"
		}
		r := s.raw(t, head, content[:1000], true)
		if r.status != 0 && (r.status < 400 || r.status > 499) {
			t.Errorf("%s whose body ends 1000 bytes before Content-Length: status %d, want 4xx or no answer", what, r.status)
		}
	}
	assertBlobMissing(t, s, ociBadRepo, d)

	// An upload whose chunk was cut short does not hold the whole blob.
	loc = s.startUpload(t, s.admin, ociBadRepo)
	head := fmt.Sprintf("PATCH %s HTTP/1.1\r\n%sContent-Type: application/octet-stream\r\nContent-Length: 2000\r\nContent-Range: 0-1999\r\n", requestURI(t, loc), basicAuth(s.admin))
	s.raw(t, head, content[:1000], true)
	if r := s.ociDo(t, s.admin, http.MethodGet, loc, nil, nil); r.status == http.StatusNoContent && r.header.Get("Range") == "0-1999" {
		t.Errorf("upload status after a PATCH cut off at 1000 of 2000 bytes: Range %q, want less", r.header.Get("Range"))
	}
	r := s.ociDo(t, s.admin, http.MethodPut, withQuery(t, loc, "digest", d), nil, nil)
	if r.status < 400 || r.status > 499 {
		t.Errorf("closing an upload cut off at 1000 of 2000 bytes with the digest of all 2000: status %d, want 4xx", r.status)
	}
	assertBlobMissing(t, s, ociBadRepo, d)
}

// testOCIOversizedBodies sends more bytes than the request declares.
func testOCIOversizedBodies(t *testing.T, s *server) {
	// All 1500 bytes the digest names after a Content-Length of 1000: the
	// server must take 1000, find they do not match, and not read on.
	content := randomBytes(1500)
	d := digestOf(content)
	loc := s.startUpload(t, s.admin, ociBadRepo)
	head := fmt.Sprintf("PUT %s HTTP/1.1\r\n%sContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n", requestURI(t, withQuery(t, loc, "digest", d)), basicAuth(s.admin))
	r := s.raw(t, head, content, false)
	assertOCIError(t, "PUT with more body than Content-Length", r, http.StatusBadRequest, "DIGEST_INVALID")
	assertBlobMissing(t, s, ociBadRepo, d)

	// A chunk longer than its Content-Range.
	loc = s.startUpload(t, s.admin, ociBadRepo)
	r = s.ociDo(t, s.admin, http.MethodPatch, loc,
		map[string]string{"Content-Type": "application/octet-stream", "Content-Range": "0-99"}, content[:200])
	if r.status != http.StatusBadRequest && r.status != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("PATCH of 200 bytes with Content-Range 0-99: status %d, want 400 or 416: %.300q", r.status, r.body)
	} else {
		assertOCIError(t, "PATCH of 200 bytes with Content-Range 0-99", r, r.status, "BLOB_UPLOAD_INVALID", "SIZE_INVALID")
	}
}

// patchChunk sends chunk as the bytes from start on of the upload at loc.
func (s *server) patchChunk(t *testing.T, loc string, start int, chunk []byte) rawResponse {
	t.Helper()
	return s.ociDo(t, s.admin, http.MethodPatch, loc, map[string]string{
		"Content-Type":  "application/octet-stream",
		"Content-Range": fmt.Sprintf("%d-%d", start, start+len(chunk)-1),
	}, chunk)
}

// testOCIOutOfOrderChunks: a chunk that does not start where the upload
// ends is refused with 416, and the upload goes on from where it was.
// Reference: distribution-spec "Pushing a blob in chunks".
func testOCIOutOfOrderChunks(t *testing.T, s *server) {
	content := randomBytes(300)
	loc := s.startUpload(t, s.admin, ociBadRepo)
	r := s.patchChunk(t, loc, 0, content[:100])
	if r.status != http.StatusAccepted || r.header.Get("Range") != "0-99" {
		t.Fatalf("first chunk 0-99: status %d, Range %q; want 202, 0-99: %.300q", r.status, r.header.Get("Range"), r.body)
	}
	loc = s.location(t, r)

	r = s.patchChunk(t, loc, 200, content[200:])
	assertOCIError(t, "chunk 200-299 after 0-99", r, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")
	r = s.patchChunk(t, loc, 0, content[:100])
	assertOCIError(t, "chunk 0-99 sent again", r, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")
	r = s.patchChunk(t, loc, 50, content[50:150])
	assertOCIError(t, "chunk 50-149 overlapping 0-99", r, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")

	r = s.ociDo(t, s.admin, http.MethodGet, loc, nil, nil)
	if r.status != http.StatusNoContent || r.header.Get("Range") != "0-99" {
		t.Errorf("upload status after refused chunks: status %d, Range %q; want 204, 0-99", r.status, r.header.Get("Range"))
	}
	r = s.patchChunk(t, loc, 100, content[100:200])
	if r.status != http.StatusAccepted || r.header.Get("Range") != "0-199" {
		t.Fatalf("chunk 100-199: status %d, Range %q; want 202, 0-199: %.300q", r.status, r.header.Get("Range"), r.body)
	}
	loc = s.location(t, r)
	d := digestOf(content)
	r = s.ociDo(t, s.admin, http.MethodPut, withQuery(t, loc, "digest", d), octetStream, content[200:])
	if r.status != http.StatusCreated {
		t.Fatalf("closing PUT with the last chunk: status %d, want 201: %.300q", r.status, r.body)
	}
	if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/"+ociBadRepo+"/blobs/"+d, nil, nil); r.status != http.StatusOK || !bytes.Equal(r.body, content) {
		t.Errorf("GET of the blob uploaded around refused chunks: status %d, %d bytes (right bytes: %v); want 200 and the 300 bytes sent in order",
			r.status, len(r.body), bytes.Equal(r.body, content))
	}
}

// testOCITamperedLocations sends upload requests to locations the server
// did not hand out: another id, another repository, traversal, changed
// query parameters. None may touch the real upload, which then completes.
func testOCITamperedLocations(t *testing.T, s *server) {
	content := randomBytes(500)
	d := digestOf(content)
	loc := s.startUpload(t, s.admin, ociBadRepo)
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	id := path.Base(u.Path)
	flipped := []byte(id)
	if flipped[len(flipped)-1] == '0' {
		flipped[len(flipped)-1] = '1'
	} else {
		flipped[len(flipped)-1] = '0'
	}
	for what, p := range map[string]string{
		"another id":          path.Dir(u.Path) + "/" + string(flipped),
		"the id with more":    u.Path + "0",
		"another repository":  "/v2/ml/other/blobs/uploads/" + id,
		"a parent repository": "/v2/ml/blobs/uploads/" + id,
	} {
		for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPut} {
			target := p
			if u.RawQuery != "" {
				target += "?" + u.RawQuery
			}
			var body []byte
			if m != http.MethodGet {
				body = content
			}
			if m == http.MethodPut {
				target = requestURI(t, withQuery(t, s.url+target, "digest", d))
			}
			r := s.ociDo(t, s.admin, m, target, octetStream, body)
			assertOCIError(t, fmt.Sprintf("%s of an upload location with %s (%s)", m, what, target), r, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		}
	}
	for _, p := range []string{
		path.Dir(u.Path) + "/..%2F..%2F" + id,
		path.Dir(u.Path) + "/%2e%2e",
		path.Dir(u.Path) + "/" + id + "%00",
	} {
		r := s.raw(t, fmt.Sprintf("PATCH %s HTTP/1.1\r\n%sContent-Length: 10\r\n", p, basicAuth(s.admin)), content[:10], false)
		if r.status < 400 || r.status > 499 {
			t.Errorf("PATCH %s: status %d (%v), want 4xx", p, r.status, r.err)
		}
	}
	// Locations may carry state in their query: changed, it must not be
	// trusted.
	for key := range u.Query() {
		q := u.Query()
		q.Set(key, "0"+q.Get(key))
		target := u.Path + "?" + q.Encode()
		if r := s.ociDo(t, s.admin, http.MethodPatch, target, octetStream, content); r.status < 400 || r.status > 499 {
			t.Errorf("PATCH of the upload location with query parameter %s changed: status %d, want 4xx", key, r.status)
		}
	}
	assertBlobMissing(t, s, "ml/other", d)

	r := s.ociDo(t, s.admin, http.MethodPut, withQuery(t, loc, "digest", d), octetStream, content)
	if r.status != http.StatusCreated {
		t.Fatalf("closing the real upload after the tampered requests: status %d, want 201: %.300q", r.status, r.body)
	}
	if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/"+ociBadRepo+"/blobs/"+d, nil, nil); !bytes.Equal(r.body, content) {
		t.Errorf("GET of the blob after tampered requests: status %d, %d bytes; want the 500 bytes sent", r.status, len(r.body))
	}
}

func testOCIUnknownUploads(t *testing.T, s *server) {
	content := randomBytes(10)
	for _, id := range []string{"6f1c2a9e-3b7d-4c5e-8f90-1a2b3c4d5e6f", rand16() + rand16(), "x"} {
		base := "/v2/" + ociBadRepo + "/blobs/uploads/" + id
		for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete} {
			target, body := base, content
			switch m {
			case http.MethodPut:
				target += "?digest=" + url.QueryEscape(digestOf(content))
			case http.MethodGet, http.MethodDelete:
				body = nil
			}
			r := s.ociDo(t, s.admin, m, target, octetStream, body)
			assertOCIError(t, m+" "+target, r, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		}
	}
}

// testOCIInvalidNames sends repository names outside the spec's grammar,
// over raw connections so that each path is sent exactly as written.
func testOCIInvalidNames(t *testing.T, s *server) {
	for _, name := range []string{
		"ml/../x",
		"../x",
		"ml/./x",
		"ml/%2e%2e/x",
		"ML/x",
		"ml/X",
		"ml//x",
		"ml/x/",
		"/ml/x",
		"-ml/x",
		"ml/x-",
		"ml/x..y",
		"ml/x___y",
		"ml/x%20y",
		"ml/" + strings.Repeat("a", 253),
	} {
		for _, req := range []string{
			"GET /v2/" + name + "/tags/list",
			"GET /v2/" + name + "/manifests/latest",
			"HEAD /v2/" + name + "/blobs/" + digestOf(nil),
			"POST /v2/" + name + "/blobs/uploads/",
		} {
			r := s.raw(t, req+" HTTP/1.1\r\n"+basicAuth(s.admin)+"Content-Length: 0\r\n", nil, false)
			if strings.HasPrefix(req, "HEAD") {
				if r.status != http.StatusBadRequest {
					t.Errorf("%s: status %d (%v), want 400", req, r.status, r.err)
				}
				continue
			}
			assertOCIError(t, req, r, http.StatusBadRequest, "NAME_INVALID")
		}
	}
}

// testOCIInvalidTags: a tag is [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}; 128
// characters is the longest a registry must take, 129 is invalid.
// Reference: distribution-spec "Pulling manifests".
func testOCIInvalidTags(t *testing.T, s *server) {
	m, d := s.pushImage(t, s.admin, ociBadRepo, "tags-base")
	tag128 := "t" + strings.Repeat("a", 127)
	if r := s.putManifest(t, s.admin, ociBadRepo, tag128, mtManifest, m); r.status != http.StatusCreated {
		t.Errorf("PUT manifest with a 128-character tag: status %d, want 201: %.300q", r.status, r.body)
	}
	if r := s.ociDo(t, s.admin, http.MethodGet, "/v2/"+ociBadRepo+"/manifests/"+tag128, nil, nil); r.status != http.StatusOK || !bytes.Equal(r.body, m) {
		t.Errorf("GET manifest by a 128-character tag: status %d, want 200 and the manifest", r.status)
	}
	for _, tag := range []string{tag128 + "a", strings.Repeat("b", 1000), ".x", "-x", "x+y", "x~y"} {
		r := s.putManifest(t, s.admin, ociBadRepo, tag, mtManifest, m)
		assertOCIError(t, fmt.Sprintf("PUT manifest with tag %.40q (%d characters)", tag, len(tag)), r, http.StatusBadRequest, "MANIFEST_INVALID")
		r = s.putManifest(t, s.admin, ociBadRepo, d+"?tag="+url.QueryEscape(tag), mtManifest, m)
		assertOCIError(t, fmt.Sprintf("PUT manifest by digest with ?tag=%.40q (%d characters)", tag, len(tag)), r, http.StatusBadRequest, "MANIFEST_INVALID")
	}
	r := s.ociDo(t, s.admin, http.MethodGet, "/v2/"+ociBadRepo+"/tags/list?n=1000", nil, nil)
	var list struct {
		Tags []string `json:"tags"`
	}
	json.Unmarshal(r.body, &list)
	for _, tag := range list.Tags {
		if len(tag) > 128 {
			t.Errorf("tags/list holds a %d-character tag after it was refused", len(tag))
		}
	}
}

// testOCIOversizedManifest pushes a 5 MiB manifest, over the 4 MiB limit,
// with and without Content-Length; raw connections, because the server may
// answer before it reads the whole body.
func testOCIOversizedManifest(t *testing.T, s *server) {
	config := []byte(`{}`)
	s.pushBlob(t, s.admin, ociBadRepo, config)
	ann := map[string]string{}
	for i := range 5 * 1024 {
		ann[fmt.Sprintf("a%d", i)] = strings.Repeat("x", 1024)
	}
	m := imageManifest(t, blobDesc(mtConfig, config), []descriptor{}, ann)
	target := "/v2/" + ociBadRepo + "/manifests/huge"
	head := fmt.Sprintf("PUT %s HTTP/1.1\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n", target, basicAuth(s.admin), mtManifest, len(m))
	assertOCIError(t, fmt.Sprintf("PUT of a %d-byte manifest", len(m)), s.raw(t, head, m, false), http.StatusRequestEntityTooLarge, "SIZE_INVALID")

	head = fmt.Sprintf("PUT %s HTTP/1.1\r\n%sContent-Type: %s\r\nTransfer-Encoding: chunked\r\n", target, basicAuth(s.admin), mtManifest)
	assertOCIError(t, fmt.Sprintf("PUT of a %d-byte manifest without Content-Length", len(m)), s.raw(t, head, chunked(m, 64<<10), false),
		http.StatusRequestEntityTooLarge, "SIZE_INVALID")

	if r := s.ociDo(t, s.admin, http.MethodHead, target, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("HEAD of the refused manifest's tag: status %d, want 404", r.status)
	}
}

// chunked encodes b with the chunked transfer coding, in chunks of size n.
func chunked(b []byte, n int) []byte {
	var out bytes.Buffer
	for c := range slices.Chunk(b, n) {
		fmt.Fprintf(&out, "%x\r\n%s\r\n", len(c), c)
	}
	out.WriteString("0\r\n\r\n")
	return out.Bytes()
}

// testOCIManifestUnknownBlobs: by default every blob a manifest references
// must be in the repository; a blob that exists only in another repository
// does not count.
func testOCIManifestUnknownBlobs(t *testing.T, s *server) {
	config := []byte(`{"architecture":"amd64","os":"linux"}`)
	layer := randomBytes(1000)
	elsewhere := randomBytes(1000)
	s.pushBlob(t, s.admin, ociBadRepo, config)
	s.pushBlob(t, s.admin, ociBadRepo, layer)
	s.pushBlob(t, s.admin, "ml/other", elsewhere)
	unknown := blobDesc(mtLayer, randomBytes(1000))

	for what, m := range map[string][]byte{
		"an unknown config": imageManifest(t, blobDesc(mtConfig, randomBytes(20)), []descriptor{blobDesc(mtLayer, layer)}, nil),
		"an unknown layer":  imageManifest(t, blobDesc(mtConfig, config), []descriptor{blobDesc(mtLayer, layer), unknown}, nil),
		"a layer of another repository": imageManifest(t, blobDesc(mtConfig, config),
			[]descriptor{blobDesc(mtLayer, elsewhere)}, nil),
	} {
		r := s.putManifest(t, s.admin, ociBadRepo, "unknown-blobs", mtManifest, m)
		assertOCIError(t, "PUT of a manifest with "+what, r, http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN")
	}
	r := s.ociDo(t, s.admin, http.MethodGet, "/v2/"+ociBadRepo+"/manifests/unknown-blobs", nil, nil)
	assertOCIError(t, "GET of the refused manifests' tag", r, http.StatusNotFound, "MANIFEST_UNKNOWN")
}

// testOCIMediaTypeConfusion: a manifest's mediaType field and the
// Content-Type it is pushed with must agree.
// Reference: image-spec manifest.md ("mediaType … when used, this field
// MUST contain the media type"), distribution-spec "Pushing Manifests".
func testOCIMediaTypeConfusion(t *testing.T, s *server) {
	m, _ := s.pushImage(t, s.admin, ociBadRepo, "media-base")
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mtIndex, "manifests": []descriptor{blobDesc(mtManifest, m)}})
	for _, tc := range []struct {
		what, contentType string
		body              []byte
	}{
		{"an image manifest sent as an index", mtIndex, m},
		{"an index sent as an image manifest", mtManifest, index},
		{"an OCI image manifest sent as a Docker manifest", "application/vnd.docker.distribution.manifest.v2+json", m},
		{"a manifest that is not JSON", mtManifest, []byte("this is not a manifest")},
	} {
		r := s.putManifest(t, s.admin, ociBadRepo, "confused", tc.contentType, tc.body)
		assertOCIError(t, "PUT of "+tc.what, r, http.StatusBadRequest, "MANIFEST_INVALID")
	}
	r := s.ociDo(t, s.admin, http.MethodHead, "/v2/"+ociBadRepo+"/manifests/confused", nil, nil)
	if r.status != http.StatusNotFound {
		t.Errorf("HEAD of the refused manifests' tag: status %d, want 404", r.status)
	}
}

// testOCIHugePageSize asks for 10^12 tags: the server clamps n and answers.
func testOCIHugePageSize(t *testing.T, s *server) {
	const repo = "ml/ocibad-tags"
	m, _ := s.pushImage(t, s.admin, repo, "a")
	for _, tag := range []string{"b", "c"} {
		if r := s.putManifest(t, s.admin, repo, tag, mtManifest, m); r.status != http.StatusCreated {
			t.Fatalf("PUT manifest %s: status %d, want 201", tag, r.status)
		}
	}
	r := s.ociDo(t, s.admin, http.MethodGet, "/v2/"+repo+"/tags/list?n=1000000000000", nil, nil)
	var list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil || list.Name != repo || !slices.Equal(list.Tags, []string{"a", "b", "c"}) {
		t.Errorf("GET tags/list?n=1000000000000: status %d, body %.300q; want 200 with name %s and tags [a b c]", r.status, r.body, repo)
	}
	r = s.ociDo(t, s.admin, http.MethodGet, "/v2/"+repo+"/tags/list?n=1", nil, nil)
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Link"), `rel="next"`) {
		t.Errorf("GET tags/list?n=1: status %d, Link %q; want 200 and a Link to the next page", r.status, r.header.Get("Link"))
	}
}
