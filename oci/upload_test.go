package oci

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// startSession opens an upload session in repo and returns its Location.
func (e *testEnv) startSession(repo, tok string) string {
	e.t.Helper()
	r := e.do("POST", "/v2/"+repo+"/blobs/uploads/", withBasic(tok)).want(e.t, http.StatusAccepted)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/v2/"+repo+"/blobs/uploads/") || r.Header.Get("Range") != "0-0" ||
		r.Header.Get("Docker-Upload-UUID") == "" || !strings.HasSuffix(loc, r.Header.Get("Docker-Upload-UUID")) {
		e.t.Fatalf("POST headers %v", r.Header)
	}
	if r.Header.Get("OCI-Chunk-Min-Length") != "" {
		e.t.Fatal("a minimum chunk length is imposed")
	}
	return loc
}

// chunk sends data[start:end] of a chunked upload as a PATCH.
func (e *testEnv) chunk(loc, tok string, data []byte, start, end int) reply {
	e.t.Helper()
	return e.do("PATCH", loc, withBasic(tok), withBody(data[start:end]),
		withHeader("Content-Range", fmt.Sprintf("%d-%d", start, end-1)), withHeader("Content-Type", "application/octet-stream"))
}

// wantRange checks the Range header of an upload reply.
func wantRange(t *testing.T, r reply, want string) {
	t.Helper()
	if got := r.Header.Get("Range"); got != want {
		t.Fatalf("%s %s: Range %q, want %q", r.Request.Method, r.Request.URL.Path, got, want)
	}
}

// wantCreated checks the 201 of a finished upload of d to repo.
func wantCreated(t *testing.T, r reply, repo string, d digest.Digest) {
	t.Helper()
	r.want(t, http.StatusCreated)
	if r.Header.Get("Location") != "/v2/"+repo+"/blobs/"+d.String() || r.Header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("201 headers %v", r.Header)
	}
}

// wantBlob checks that repo serves data as blob d.
func (e *testEnv) wantBlob(repo, tok string, d digest.Digest, data []byte) {
	e.t.Helper()
	r := e.do("GET", "/v2/"+repo+"/blobs/"+d.String(), withBasic(tok)).want(e.t, http.StatusOK)
	if !bytes.Equal(r.body, data) {
		e.t.Fatalf("blob %s: %d bytes, want %d", d, len(r.body), len(data))
	}
}

func TestUploadPostPut(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := []byte("a monolithic upload")
	d := digest.FromBytes(data)
	loc := e.startSession("ml/x", tok)
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), "0-0")
	wantCreated(t, e.do("PUT", loc+"?digest="+d.String(), withBasic(tok), withBody(data)), "ml/x", d)
	e.wantBlob("ml/x", tok, d, data)
	// The session is over.
	e.do("GET", loc, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
}

func TestUploadEmptyBlob(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	d := digest.FromBytes(nil)
	loc := e.startSession("ml/x", tok)
	wantCreated(t, e.do("PUT", loc+"?digest="+d.String(), withBasic(tok)), "ml/x", d)
	r := e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusOK)
	if len(r.body) != 0 || r.Header.Get("Content-Length") != "0" {
		t.Fatalf("empty blob: %q, Content-Length %q", r.body, r.Header.Get("Content-Length"))
	}
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBasic(tok), withHeader("Range", "bytes=0-")).want(t, http.StatusRequestedRangeNotSatisfiable)
}

func TestUploadSinglePost(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := []byte("one request")
	d := digest.FromBytes(data)
	wantCreated(t, e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+d.String(), withBasic(tok), withBody(data)), "ml/x", d)
	e.wantBlob("ml/x", tok, d, data)

	// Without a Content-Length, too.
	data2 := []byte("streamed in one request")
	d2 := digest.FromBytes(data2)
	wantCreated(t, e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+d2.String(), withBasic(tok), withStream(bytes.NewReader(data2))), "ml/x", d2)
	e.wantBlob("ml/x", tok, d2, data2)

	// A wrong digest stores nothing.
	wrong := digest.FromString("something else")
	e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+wrong.String(), withBasic(tok), withBody(data)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+wrong.String(), withBasic(tok), withStream(bytes.NewReader(data))).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	e.do("POST", "/v2/ml/x/blobs/uploads/?digest=sha256:short", withBasic(tok), withBody(data)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	if e.hasBlob("ml/x", wrong) {
		t.Fatal("a blob with a wrong digest became visible")
	}
}

func TestUploadChunked(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := bytes.Repeat([]byte("chunk"), 20) // 100 bytes
	d := digest.FromBytes(data)
	loc := e.startSession("ml/x", tok)

	r := e.chunk(loc, tok, data, 0, 40).want(t, http.StatusAccepted)
	wantRange(t, r, "0-39")
	loc = r.Header.Get("Location")
	r = e.chunk(loc, tok, data, 40, 70).want(t, http.StatusAccepted)
	wantRange(t, r, "0-69")
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), "0-69")
	// The last chunk comes with the PUT.
	r = e.do("PUT", loc+"?digest="+d.String(), withBasic(tok), withBody(data[70:]), withHeader("Content-Range", "70-99"))
	wantCreated(t, r, "ml/x", d)
	e.wantBlob("ml/x", tok, d, data)
}

func TestUploadOutOfOrder(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := bytes.Repeat([]byte("0123456789"), 10)
	d := digest.FromBytes(data)
	loc := e.startSession("ml/x", tok)

	// Skipping ahead on an empty session.
	r := e.chunk(loc, tok, data, 10, 20).wantError(t, http.StatusRequestedRangeNotSatisfiable, CodeBlobUploadInvalid)
	wantRange(t, r, "0-0")
	if r.Header.Get("Location") != loc {
		t.Fatalf("416 Location %q, want %q", r.Header.Get("Location"), loc)
	}
	e.chunk(loc, tok, data, 0, 10).want(t, http.StatusAccepted)
	// Going back, skipping ahead, and a final chunk in the wrong place.
	wantRange(t, e.chunk(loc, tok, data, 0, 10).want(t, http.StatusRequestedRangeNotSatisfiable), "0-9")
	wantRange(t, e.chunk(loc, tok, data, 20, 30).want(t, http.StatusRequestedRangeNotSatisfiable), "0-9")
	r = e.do("PUT", loc+"?digest="+d.String(), withBasic(tok), withBody(data[50:]), withHeader("Content-Range", "50-99"))
	wantRange(t, r.want(t, http.StatusRequestedRangeNotSatisfiable), "0-9")
	// None of that hurt the session.
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), "0-9")
	e.chunk(loc, tok, data, 10, 100).want(t, http.StatusAccepted)
	wantCreated(t, e.do("PUT", loc+"?digest="+d.String(), withBasic(tok)), "ml/x", d)
	e.wantBlob("ml/x", tok, d, data)
}

func TestUploadBadContentRange(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	loc := e.startSession("ml/x", tok)
	for _, cr := range []string{"bytes 0-9/10", "0-", "-9", "9-0", "0 - 9", "0-9-", "+0-9", "0x0-9"} {
		r := e.do("PATCH", loc, withBasic(tok), withBody(make([]byte, 10)), withHeader("Content-Range", cr))
		wantRange(t, r.wantError(t, http.StatusRequestedRangeNotSatisfiable, CodeBlobUploadInvalid), "0-0")
	}
	// Content-Range and Content-Length disagree.
	e.do("PATCH", loc, withBasic(tok), withBody(make([]byte, 5)), withHeader("Content-Range", "0-9")).wantError(t, http.StatusBadRequest, CodeSizeInvalid)
	e.do("PATCH", loc, withBasic(tok), withStream(bytes.NewReader(make([]byte, 10))), withHeader("Content-Range", "0-9")).wantError(t, http.StatusBadRequest, CodeSizeInvalid)
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), "0-0")
}

func TestUploadStreamed(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := bytes.Repeat([]byte("stream"), 1000)
	d := digest.FromBytes(data)
	loc := e.startSession("ml/x", tok)
	r := e.do("PATCH", loc, withBasic(tok), withStream(bytes.NewReader(data[:3000]))).want(t, http.StatusAccepted)
	wantRange(t, r, "0-2999")
	r = e.do("PATCH", r.Header.Get("Location"), withBasic(tok), withBody(data[3000:])).want(t, http.StatusAccepted)
	wantRange(t, r, fmt.Sprintf("0-%d", len(data)-1))
	wantCreated(t, e.do("PUT", r.Header.Get("Location")+"?digest="+d.String(), withBasic(tok)), "ml/x", d)
	e.wantBlob("ml/x", tok, d, data)

	// A PUT whose last part streams without a Content-Length.
	loc = e.startSession("ml/x", tok)
	e.chunk(loc, tok, data, 0, 100).want(t, http.StatusAccepted)
	wantCreated(t, e.do("PUT", loc+"?digest="+d.String(), withBasic(tok), withStream(bytes.NewReader(data[100:]))), "ml/x", d)
}

func TestUploadWrongDigest(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := []byte("the real bytes")
	wrong := digest.FromString("other bytes")
	loc := e.startSession("ml/x", tok)
	e.chunk(loc, tok, data, 0, len(data)).want(t, http.StatusAccepted)

	// Missing or malformed digests leave the session open.
	e.do("PUT", loc, withBasic(tok)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	e.do("PUT", loc+"?digest=sha256:abc", withBasic(tok)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	e.do("PUT", loc+"?digest=md5:"+strings.Repeat("0", 32), withBasic(tok)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), fmt.Sprintf("0-%d", len(data)-1))

	// A wrong one ends it with nothing stored.
	e.do("PUT", loc+"?digest="+wrong.String(), withBasic(tok)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	if e.hasBlob("ml/x", wrong) || e.hasBlob("ml/x", digest.FromBytes(data)) {
		t.Fatal("a mismatched upload became visible")
	}
	e.do("GET", loc, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
}

func TestUploadUnknownSessions(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	d := digest.FromString("x")
	loc := e.startSession("ml/a", tok)
	id := loc[strings.LastIndex(loc, "/")+1:]
	tampered := loc[:len(loc)-1] + "0"
	if tampered == loc {
		tampered = loc[:len(loc)-1] + "1"
	}
	for _, bad := range []string{
		tampered,
		"/v2/ml/b/blobs/uploads/" + id, // another repository's session
		"/v2/ml/a/blobs/uploads/unknown",
		"/v2/ml/a/blobs/uploads/" + id + "0",
		"/v2/ml/a/blobs/uploads/" + strings.ToUpper(id),
		"/v2/ml/a/blobs/uploads/%00",
	} {
		e.do("GET", bad, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
		e.do("PATCH", bad, withBasic(tok), withBody([]byte("x"))).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
		e.do("PUT", bad+"?digest="+d.String(), withBasic(tok), withBody([]byte("x"))).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
		e.do("DELETE", bad, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
	}
	// The real session is untouched.
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), "0-0")
}

func TestUploadCancel(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	loc := e.startSession("ml/x", tok)
	e.do("PATCH", loc, withBasic(tok), withBody([]byte("abc"))).want(t, http.StatusAccepted)
	e.do("DELETE", loc, withBasic(tok)).want(t, http.StatusNoContent)
	e.do("GET", loc, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
	e.do("DELETE", loc, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
}

// A session lives in the store and the metadata DB, not in the server: a
// new server continues it.
func TestUploadSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := bytes.Repeat([]byte("persist"), 100)
	d := digest.FromBytes(data)
	loc := e.startSession("ml/x", tok)
	e.chunk(loc, tok, data, 0, 300).want(t, http.StatusAccepted)
	e.restart()
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), "0-299")
	e.chunk(loc, tok, data, 300, len(data)).want(t, http.StatusAccepted)
	e.restart()
	wantCreated(t, e.do("PUT", loc+"?digest="+d.String(), withBasic(tok)), "ml/x", d)
	e.wantBlob("ml/x", tok, d, data)
}

// A body cut short (the client went away) changes nothing.
func TestUploadTruncatedBody(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := bytes.Repeat([]byte("truncated"), 100)
	d := digest.FromBytes(data)
	loc := e.startSession("ml/x", tok)
	e.chunk(loc, tok, data, 0, 100).want(t, http.StatusAccepted)

	e.sendTruncated("PATCH", loc, tok, data[100:], nil)
	e.sendTruncated("PATCH", loc, tok, data[100:], map[string]string{"Content-Range": fmt.Sprintf("100-%d", len(data)-1)})
	e.sendTruncated("PUT", loc+"?digest="+d.String(), tok, data[100:], nil)
	e.sendTruncated("POST", "/v2/ml/x/blobs/uploads/?digest="+d.String(), tok, data, nil)
	if e.hasBlob("ml/x", d) {
		t.Fatal("a truncated upload became visible")
	}
	// The PUT ended the session; the PATCHes had left it as it was.
	e.do("GET", loc, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUploadUnknown)
	loc = e.startSession("ml/x", tok)
	e.chunk(loc, tok, data, 0, 100).want(t, http.StatusAccepted)
	e.sendTruncated("PATCH", loc, tok, data[100:], nil)
	wantRange(t, e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent), "0-99")
}

// sendTruncated sends a request announcing len(data) bytes but sending
// half of them, then closes its side, and checks the server did not
// answer with success.
func (e *testEnv) sendTruncated(method, path, tok string, data []byte, headers map[string]string) {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	req.SetBasicAuth("u", tok)
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n",
		method, path, u.Host, req.Header.Get("Authorization"), len(data))
	for k, v := range headers {
		fmt.Fprintf(&head, "%s: %s\r\n", k, v)
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		e.t.Fatal(err)
	}
	if _, err := conn.Write(data[:len(data)/2]); err != nil {
		e.t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return // no answer at all: fine
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		e.t.Fatalf("%s %s with a truncated body: status %d", method, path, resp.StatusCode)
	}
}

func TestParseContentRange(t *testing.T) {
	good := map[string][2]int64{"0-0": {0, 0}, "0-9": {0, 9}, "10-19": {10, 19}, "007-9": {7, 9}, "9223372036854775806-9223372036854775807": {9223372036854775806, 9223372036854775807}}
	for s, want := range good {
		if a, b, ok := parseContentRange(s); !ok || a != want[0] || b != want[1] {
			t.Errorf("parseContentRange(%q) = %d, %d, %v", s, a, b, ok)
		}
	}
	for _, s := range []string{"", "-", "0", "0-", "-0", "1-0", "a-b", "0-9 ", " 0-9", "+0-9", "0-+9", "0--9", "0-9-10", "bytes 0-9/10", "bytes=0-9", "0-9223372036854775808", "٣-٤"} {
		if a, b, ok := parseContentRange(s); ok {
			t.Errorf("parseContentRange(%q) = %d, %d, true; want false", s, a, b)
		}
	}
}

func FuzzContentRange(f *testing.F) {
	for _, s := range []string{"0-9", "10-19", "9-0", "bytes 0-9/10", "0-99999999999999999999", "-1-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, b, ok := parseContentRange(s)
		if !ok {
			return
		}
		if a < 0 || b < a {
			t.Fatalf("parseContentRange(%q) = %d, %d", s, a, b)
		}
		// Only leading zeros may differ from the canonical form.
		if back := fmt.Sprintf("%d-%d", a, b); canon(s) != back {
			t.Fatalf("parseContentRange(%q) = %s", s, back)
		}
	})
}

// canon strips leading zeros from both numbers of a range.
func canon(s string) string {
	a, b, _ := strings.Cut(s, "-")
	trim := func(x string) string {
		if x = strings.TrimLeft(x, "0"); x == "" {
			return "0"
		}
		return x
	}
	return trim(a) + "-" + trim(b)
}
